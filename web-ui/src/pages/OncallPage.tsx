import { useState, type FormEvent } from "react";
import { oncall } from "../api/endpoints";
import type { Schedule, Shift } from "../api/types";
import { useAuth } from "../auth";
import { Empty, ErrorBanner, Field, Loading, PageHeader } from "../components/ui";
import { formatTime } from "../format";
import { usePolling } from "../hooks";
import { JsonEditor } from "./JsonEditor";

const DAYS = 7;
const PALETTE = ["bg-sky-500", "bg-violet-500", "bg-emerald-500", "bg-amber-500", "bg-rose-500", "bg-teal-500"];

const SCHEDULE_TEMPLATE = {
  name: "Primary",
  team: "default",
  timezone: "UTC",
  layers: [{ name: "Weekly", participants: ["alice", "bob"], rotation: "weekly", handoff_time: "09:00", start: new Date().toISOString().slice(0, 10) }],
};
const POLICY_TEMPLATE = {
  name: "Default escalation",
  team: "default",
  repeat: 1,
  levels: [
    { delay_minutes: 5, targets: [{ type: "schedule", name: "Primary" }] },
    { delay_minutes: 10, targets: [{ type: "team", name: "default" }] },
  ],
};

function CurrentOncall({ team }: { team: string }) {
  const { data, error } = usePolling(() => oncall.current(team), [team], 30_000);
  if (error) return <span className="text-sm text-rose-700 dark:text-rose-300">{error.message}</span>;
  if (!data) return <span className="text-sm text-slate-500">…</span>;
  const who = data.user ?? data.users?.join(", ");
  return (
    <span className="text-sm">
      <strong data-testid="oncall-now">{who || "nobody on call"}</strong>
      {data.schedule && <span className="text-slate-500 dark:text-slate-400"> · {String(data.schedule)}{data.layer !== undefined && data.layer !== null ? ` / ${String(data.layer)}` : ""}</span>}
      {data.source && <span className="text-slate-500 dark:text-slate-400"> ({data.source})</span>}
    </span>
  );
}

function ShiftTimeline({ schedule }: { schedule: Schedule }) {
  const from = new Date();
  from.setUTCMinutes(0, 0, 0);
  const to = new Date(from.getTime() + DAYS * 86_400_000);
  const { data, error } = usePolling(() => oncall.shifts(schedule.id, from.toISOString(), to.toISOString()), [schedule.id], 60_000);
  if (error) return <ErrorBanner error={error} />;
  if (!data) return <Loading what="Loading shifts" />;
  if (data.length === 0) return <Empty>No shifts in the next {DAYS} days.</Empty>;
  const span = to.getTime() - from.getTime();
  const people = [...new Set(data.map((s: Shift) => s.user))];
  return (
    <div>
      <div className="relative h-8 w-full overflow-hidden rounded bg-slate-100 dark:bg-slate-800" role="img" aria-label={`Shifts of ${schedule.name} for the next ${DAYS} days`}>
        {data.map((shift, index) => {
          const start = Math.max(new Date(shift.start).getTime(), from.getTime());
          const end = Math.min(new Date(shift.end).getTime(), to.getTime());
          const left = ((start - from.getTime()) / span) * 100;
          const width = Math.max(0.5, ((end - start) / span) * 100);
          return (
            <div key={index} title={`${shift.user}: ${formatTime(shift.start)} → ${formatTime(shift.end)}${shift.source ? ` (${shift.source})` : ""}`} className={`absolute top-0 h-full ${PALETTE[people.indexOf(shift.user) % PALETTE.length]} border-r border-white/60 text-[10px] text-white`} style={{ left: `${left}%`, width: `${width}%` }}>
              <span className="px-1">{shift.user}</span>
            </div>
          );
        })}
      </div>
      <div className="mt-1 flex justify-between text-[10px] text-slate-500">
        {Array.from({ length: DAYS }, (_, day) => (
          <span key={day}>{new Date(from.getTime() + day * 86_400_000).toLocaleDateString(undefined, { weekday: "short", day: "numeric" })}</span>
        ))}
      </div>
    </div>
  );
}

function OverrideForm({ schedules, onDone }: { schedules: Schedule[]; onDone: () => void }) {
  const [scheduleId, setScheduleId] = useState("");
  const [user, setUser] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await oncall.addOverride(scheduleId, { user, start: new Date(start).toISOString(), end: new Date(end).toISOString() });
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
        <input className="input w-36" required value={user} onChange={(e) => setUser(e.target.value)} />
      </Field>
      <Field label="From">
        <input className="input" type="datetime-local" required value={start} onChange={(e) => setStart(e.target.value)} />
      </Field>
      <Field label="To">
        <input className="input" type="datetime-local" required value={end} onChange={(e) => setEnd(e.target.value)} />
      </Field>
      <button className="btn-primary" type="submit">Add override</button>
      {saved && <span className="text-sm text-emerald-700 dark:text-emerald-300">Saved.</span>}
      <div className="w-full"><ErrorBanner error={error} /></div>
    </form>
  );
}

export function OncallPage() {
  const { can } = useAuth();
  const admin = can("admin");
  const teams = usePolling(() => oncall.teams(), [], 30_000);
  const schedules = usePolling(() => oncall.schedules(), [], 30_000);
  const policies = usePolling(() => oncall.policies(), [], 30_000);
  const [editing, setEditing] = useState<{ kind: "schedule" | "policy"; id?: string; value: unknown } | null>(null);

  async function save(value: unknown) {
    if (!editing) return;
    if (editing.kind === "schedule") {
      await (editing.id ? oncall.updateSchedule(editing.id, value) : oncall.createSchedule(value));
      await schedules.reload();
    } else {
      await (editing.id ? oncall.updatePolicy(editing.id, value) : oncall.createPolicy(value));
      await policies.reload();
    }
    setEditing(null);
  }

  return (
    <div className="space-y-4">
      <PageHeader title="On-call">
        {admin && (
          <>
            <button className="btn-secondary" type="button" onClick={() => setEditing({ kind: "schedule", value: SCHEDULE_TEMPLATE })}>New schedule</button>
            <button className="btn-secondary" type="button" onClick={() => setEditing({ kind: "policy", value: POLICY_TEMPLATE })}>New policy</button>
          </>
        )}
      </PageHeader>
      {editing && (
        <JsonEditor title={`${editing.id ? "Edit" : "New"} ${editing.kind === "schedule" ? "schedule" : "escalation policy"}`} initial={editing.value} onSave={save} onCancel={() => setEditing(null)} />
      )}
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
      <section className="card space-y-4" aria-label="Schedules">
        <h2 className="font-semibold">Schedules (next {DAYS} days)</h2>
        <ErrorBanner error={schedules.error} onRetry={schedules.reload} />
        {schedules.loading && !schedules.data ? <Loading /> : schedules.data?.length ? (
          schedules.data.map((schedule) => (
            <div key={schedule.id}>
              <div className="mb-1 flex flex-wrap items-center justify-between gap-2 text-sm">
                <span>
                  <strong>{schedule.name}</strong> · team {schedule.team} · {schedule.timezone} · {schedule.layers?.length ?? 0} layer(s){schedule.overrides?.length ? ` · ${schedule.overrides.length} override(s)` : ""}
                </span>
                {admin && <button type="button" className="btn-secondary" onClick={() => setEditing({ kind: "schedule", id: schedule.id, value: { name: schedule.name, timezone: schedule.timezone, layers: schedule.layers } })}>Edit</button>}
              </div>
              <ShiftTimeline schedule={schedule} />
            </div>
          ))
        ) : schedules.data ? <Empty>No schedules yet.</Empty> : null}
        {admin && schedules.data && schedules.data.length > 0 && (
          <div className="border-t border-slate-200 pt-3 dark:border-slate-800">
            <h3 className="mb-2 text-sm font-semibold">Override</h3>
            <OverrideForm schedules={schedules.data} onDone={schedules.reload} />
          </div>
        )}
      </section>
      <section className="card" aria-label="Escalation policies">
        <h2 className="mb-2 font-semibold">Escalation policies</h2>
        <ErrorBanner error={policies.error} onRetry={policies.reload} />
        {policies.loading && !policies.data ? <Loading /> : policies.data?.length ? (
          <ul className="space-y-3">
            {policies.data.map((policy) => (
              <li key={policy.id} className="text-sm">
                <div className="flex items-center justify-between">
                  <span><strong>{policy.name}</strong> · team {policy.team} · repeat {policy.repeat}×</span>
                  {admin && <button type="button" className="btn-secondary" onClick={() => setEditing({ kind: "policy", id: policy.id, value: { name: policy.name, repeat: policy.repeat, levels: policy.levels } })}>Edit</button>}
                </div>
                <ol className="ml-5 list-decimal text-slate-600 dark:text-slate-300">
                  {policy.levels.map((level, index) => (
                    <li key={index}>
                      {level.targets.map((t) => `${t.type} ${t.name ?? t.id ?? ""}`).join(", ")} — then wait {level.delay_minutes ?? Math.round((level.delay_seconds ?? 0) / 60)} min
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
