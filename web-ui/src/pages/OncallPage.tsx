import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { oncall } from "../api/endpoints";
import { ApiError } from "../api/client";
import type { EscalationPolicy, EscalationTarget, OncallUser, Schedule, Team } from "../api/types";
import { useAuth } from "../auth";
import { Empty, ErrorBanner, Field, Loading, PageHeader } from "../components/ui";
import { formatTime } from "../format";
import { invalidate, useApiQuery } from "../hooks";
import { OverridesList } from "./OverridesList";
import { RangePicker, ShiftBars } from "../oncall/ShiftTimeline";
import { dayStart } from "../oncall/timeline";
import { PeopleSection } from "../oncall/setup/PeopleSection";
import { PolicyForm } from "../oncall/setup/PolicyForm";
import { ScheduleForm } from "../oncall/setup/ScheduleForm";
import { useTimeZone, wallTimeToInstant } from "../timezone";


/** Names for a policy's targets: schedule and user ids shown as what people recognise. */
function targetLabel(target: EscalationTarget, schedules: Schedule[], users: OncallUser[], teams: Team[]): string {
  if (target.type === "schedule") return `on-call of ${schedules.find((s) => s.id === target.id)?.name ?? target.id}`;
  if (target.type === "user") return users.find((u) => u.id === target.id)?.name ?? target.id;
  // The service may store a team by id or by name.
  const team = teams.find((t) => t.id === target.id || t.name === target.id)?.name ?? target.id;
  return target.type === "team_oncall" ? `on-call of team ${team}` : `everyone in team ${team}`;
}

function CurrentOncall({ team }: { team: string }) {
  const { data, error } = useApiQuery(["oncall", "current", team], () => oncall.current(team), { pollMs: 30_000 });
  if (error) return <span className="text-sm text-rose-700 dark:text-rose-300">{error.message}</span>;
  if (!data) return <span className="text-sm text-slate-500">…</span>;
  if (data.nobody_on_call || data.oncall.length === 0) {
    return (
      <span className="text-sm font-semibold text-rose-700 dark:text-rose-300" data-testid="oncall-now">
        {data.message || "Nobody on call"}
      </span>
    );
  }
  return (
    <ul className="text-right text-sm" data-testid="oncall-now">
      {data.oncall.map((entry) => (
        <li key={`${entry.schedule_id}-${entry.user.id}`}>
          <Link className="font-semibold hover:underline" to={`/oncall/people/${entry.user.id}`}>{entry.user.name}</Link>
          <span className="text-slate-500 dark:text-slate-400">
            {" "}· {entry.schedule_name}
            {entry.source === "override" ? " (override)" : entry.layer_name ? ` / ${entry.layer_name}` : ""}
            {entry.shift_end ? ` · until ${formatTime(entry.shift_end)}` : ""}
          </span>
        </li>
      ))}
    </ul>
  );
}

function ShiftTimeline({ schedule, days }: { schedule: Schedule; days: number }) {
  const from = dayStart(new Date());
  const to = new Date(from.getTime() + days * 86_400_000);
  const { data, error } = useApiQuery(["oncall", "shifts", schedule.id, days], () => oncall.shifts(schedule.id, from.toISOString(), to.toISOString()), { pollMs: 15_000 });
  if (error) return <ErrorBanner error={error} />;
  if (!data) return <Loading what="Loading shifts" />;
  if (data.shifts.length === 0) return <Empty>No shifts in the next {days} days.</Empty>;
  return <ShiftBars shifts={data.shifts} gaps={data.gaps} from={from} to={to} now={new Date()} label={`Shifts of ${schedule.name} for the next ${days} days`} />;
}

function OverrideForm({ schedules, users, onDone }: { schedules: Schedule[]; users: OncallUser[]; onDone: () => void }) {
  const [scheduleId, setScheduleId] = useState("");
  const [userId, setUserId] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const zone = useTimeZone();
  // The form is read on the schedule's clocks (its rotation and handoffs run there), not the browser's.
  const scheduleZone = schedules.find((s) => s.id === scheduleId)?.timezone;
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const inZone = (local: string) => wallTimeToInstant(local, scheduleZone ?? "UTC").toISOString();
      await oncall.addOverride(scheduleId, { user_id: userId, start: inZone(start), end: inZone(end) });
      setSaved(true);
      onDone();
    } catch (cause) {
      setError(cause);
    }
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="Add override">
      <Field label="Schedule">
        <select className="input" required value={scheduleId} onChange={(e) => setScheduleId(e.target.value)}>
          <option value="">choose…</option>
          {schedules.map((s) => (
            <option key={s.id} value={s.id}>{s.name}</option>
          ))}
        </select>
      </Field>
      <Field label="Who covers">
        <select className="input" required value={userId} onChange={(e) => setUserId(e.target.value)}>
          <option value="">choose…</option>
          {users.map((u) => (
            <option key={u.id} value={u.id}>{u.name}</option>
          ))}
        </select>
      </Field>
      <Field label="From">
        <input className="input" type="datetime-local" required value={start} onChange={(e) => setStart(e.target.value)} />
      </Field>
      <Field label="To">
        <input className="input" type="datetime-local" required value={end} onChange={(e) => setEnd(e.target.value)} />
      </Field>
      <button className="btn-primary" type="submit">Add override</button>
      {saved && <span className="text-sm text-emerald-700 dark:text-emerald-300">Saved.</span>}
      <OverrideZoneHint scheduleZone={scheduleZone} zone={zone} start={start} end={end} />
      <div className="w-full"><ErrorBanner error={error} /></div>
    </form>
  );
}

/** Which clocks the override form reads, and what the typed times are in the person's zone. */
function OverrideZoneHint({ scheduleZone, zone, start, end }: { scheduleZone?: string; zone: string; start: string; end: string }) {
  if (!scheduleZone) return <p className="w-full text-xs text-slate-500 dark:text-slate-400">From and To are read in the schedule's time zone: pick a schedule.</p>;
  const shown = (local: string) => {
    const instant = wallTimeToInstant(local, scheduleZone);
    if (Number.isNaN(instant.getTime())) return "";
    const iso = instant.toISOString();
    return zone === scheduleZone ? formatTime(iso, scheduleZone) : `${formatTime(iso, scheduleZone)} = ${formatTime(iso, zone)} (your zone)`;
  };
  return (
    <p className="w-full text-xs text-slate-600 dark:text-slate-300" data-testid="override-zone">
      From and To are in the schedule&apos;s time zone, <strong>{scheduleZone}</strong>.
      {start && ` From ${shown(start)}.`}
      {end && ` To ${shown(end)}.`}
    </p>
  );
}

export function OncallPage() {
  const { can } = useAuth();
  const admin = can("admin");
  const teams = useApiQuery(["oncall", "teams"], () => oncall.teams(), { pollMs: 15_000 });
  const schedules = useApiQuery(["oncall", "schedules"], () => oncall.schedules(), { pollMs: 15_000 });
  const users = useApiQuery(["oncall", "users"], () => oncall.users(), { pollMs: 30_000 });
  const policies = useApiQuery(["oncall", "policies"], () => oncall.policies(), { pollMs: 30_000 });
  const [days, setDays] = useState(7);
  // The schedule or policy being built or edited with its form (the JSON view is inside it).
  const [editing, setEditing] = useState<{ kind: "schedule"; schedule?: Schedule } | { kind: "policy"; policy?: EscalationPolicy } | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);

  /** Delete a schedule or a policy after a confirmation; a 409 (still referenced) is shown. */
  async function remove(kind: "schedule" | "policy", id: string, name: string) {
    const what = kind === "schedule" ? "schedule" : "escalation policy";
    if (!window.confirm(`Delete the ${what} "${name}"? This cannot be undone.`)) return;
    setDeleteError(null);
    try {
      await (kind === "schedule" ? oncall.deleteSchedule(id) : oncall.deletePolicy(id));
    } catch (cause) {
      setDeleteError(cause);
    }
    await invalidate("oncall");
  }

  async function saved() {
    await invalidate("oncall"); // the schedule or policy, its shifts and who is on call now
    setEditing(null);
  }

  return (
    <div className="space-y-4">
      <PageHeader title="On-call">
        {admin && (
          <>
            <button className="btn-secondary" type="button" onClick={() => setEditing({ kind: "schedule" })}>New schedule</button>
            <button className="btn-secondary" type="button" onClick={() => setEditing({ kind: "policy" })}>New policy</button>
          </>
        )}
      </PageHeader>
      {editing?.kind === "schedule" && (
        <ScheduleForm key={editing.schedule?.id ?? "new"} schedule={editing.schedule} teams={teams.data ?? []} users={users.data ?? []} onSaved={saved} onCancel={() => setEditing(null)} />
      )}
      {editing?.kind === "policy" && (
        <PolicyForm key={editing.policy?.id ?? "new"} policy={editing.policy} teams={teams.data ?? []} schedules={schedules.data ?? []} users={users.data ?? []} onSaved={saved} onCancel={() => setEditing(null)} />
      )}
      <ErrorBanner error={deleteError} />
      <section className="card" aria-label="On call now">
        <h2 className="mb-2 font-semibold">On call now</h2>
        <ErrorBanner error={teams.error} onRetry={teams.reload} />
        {teams.loading && !teams.data ? <Loading /> : teams.data?.length ? (
          <ul className="divide-y divide-slate-100 dark:divide-slate-800">
            {teams.data.map((team) => (
              <li key={team.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                <span className="font-medium">{team.name}</span>
                <CurrentOncall team={team.name} />
              </li>
            ))}
          </ul>
        ) : teams.data ? <Empty>No teams yet.</Empty> : null}
      </section>
      <PeopleSection users={users} teams={teams} canEdit={admin} />
      <section className="card space-y-4" aria-label="Schedules">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 className="font-semibold">Schedules (next {days} days)</h2>
          <RangePicker days={days} onChange={setDays} />
        </div>
        <ErrorBanner error={schedules.error} onRetry={schedules.reload} />
        {schedules.loading && !schedules.data ? <Loading /> : schedules.data?.length ? (
          schedules.data.map((schedule) => (
            <div key={schedule.id}>
              <div className="mb-1 flex flex-wrap items-center justify-between gap-2 text-sm">
                <span>
                  <strong>{schedule.name}</strong> · team {schedule.team.name} · <span data-testid="schedule-zone">time zone {schedule.timezone}</span> ·{" "}
                  {schedule.layers.map((l) => `${l.name}: ${l.participants.map((p) => p.name).join(" → ")} (${l.shift_length} ${l.rotation_type})`).join("; ")}
                </span>
                {admin && <button type="button" className="btn-secondary" onClick={() => setEditing({ kind: "schedule", schedule })}>Edit</button>}
                {admin && <button type="button" className="btn-secondary" onClick={() => remove("schedule", schedule.id, schedule.name)}>Delete</button>}
              </div>
              <ShiftTimeline schedule={schedule} days={days} />
              <OverridesList schedule={schedule} canEdit={admin} onChanged={() => void invalidate("oncall")} />
            </div>
          ))
        ) : schedules.data ? <Empty>No schedules yet.</Empty> : null}
        {admin && schedules.data && schedules.data.length > 0 && (
          <div className="border-t border-slate-200 pt-3 dark:border-slate-800">
            <h3 className="mb-2 text-sm font-semibold">Override</h3>
            <OverrideForm schedules={schedules.data} users={users.data ?? []} onDone={() => void invalidate("oncall")} />
          </div>
        )}
      </section>
      <section className="card" aria-label="Escalation policies">
        <h2 className="mb-2 font-semibold">Escalation policies</h2>
        {policies.error instanceof ApiError && policies.error.status === 404 ? (
          <Empty>This server has no escalation policies API yet: new incidents page the team&apos;s current on-call directly.</Empty>
        ) : (
          <ErrorBanner error={policies.error} onRetry={policies.reload} />
        )}
        {policies.loading && !policies.data ? <Loading /> : policies.data?.length ? (
          <ul className="space-y-3">
            {policies.data.map((policy) => (
              <li key={policy.id} className="text-sm">
                <div className="flex items-center justify-between">
                  <span><strong>{policy.name}</strong> · team {policy.team} · {policy.repeat_count ? `repeats ${policy.repeat_count}×` : "runs once"}</span>
                  {admin && (
                    <span className="flex gap-2">
                      <button type="button" className="btn-secondary" onClick={() => setEditing({ kind: "policy", policy })}>Edit</button>
                      <button type="button" className="btn-secondary" onClick={() => remove("policy", policy.id, policy.name)}>Delete</button>
                    </span>
                  )}
                </div>
                <ol className="ml-5 list-decimal text-slate-600 dark:text-slate-300">
                  {policy.levels.map((level, index) => (
                    <li key={index}>
                      page {level.targets.map((t) => targetLabel(t, schedules.data ?? [], users.data ?? [], teams.data ?? [])).join(", ")}; after {level.delay_minutes} min without an ack, go on
                    </li>
                  ))}
                </ol>
              </li>
            ))}
          </ul>
        ) : policies.data ? <Empty>No escalation policies: new incidents page the team's current on-call directly.</Empty> : null}
      </section>
    </div>
  );
}
