// My on-call: the signed-in person's upcoming shifts, a calendar feed per schedule, a timeline with
// a "now" marker, and a test page to their contact methods.
import { useState } from "react";
import { oncall, oncallSetup } from "../api/endpoints";
import type { OncallUser, Schedule, UserShift } from "../api/types";
import { useAuth } from "../auth";
import { Empty, ErrorBanner, Loading, PageHeader } from "../components/ui";
import { formatTime } from "../format";
import { useApiQuery } from "../hooks";
import { rememberUserId, resolveMe } from "../oncall/me";
import { NotificationRules } from "../oncall/NotificationRules";
import { RangePicker, ShiftBars } from "../oncall/ShiftTimeline";
import { TestPagePanel } from "../oncall/TestPagePanel";
import { dayStart } from "../oncall/timeline";

function WhoAmI({ users, me, how, onPick, onLink }: { users: OncallUser[]; me: OncallUser | null; how: string | null; onPick: (id: string | null) => void; onLink: ((user: OncallUser) => void) | null }) {
  if (me && how === "linked") {
    return (
      <section className="card space-y-2" aria-label="Who am I">
        <p className="text-sm" data-testid="me">
          You are <strong>{me.name}</strong> ({me.email}) in on-call: your console account is linked to this person.
          {onLink ? " Change the link in On-call → People and teams." : " An admin can change the link."}
        </p>
      </section>
    );
  }
  return (
    <section className="card space-y-2" aria-label="Who am I">
      {me ? (
        <p className="text-sm" data-testid="me">
          You are <strong>{me.name}</strong> ({me.email}) in on-call,{" "}
          {how === "remembered" ? "as you chose in this browser." : "matched by your username."}
        </p>
      ) : (
        <p className="text-sm">
          No on-call person is linked to your console account. Pick yourself once (this browser remembers it)
          {onLink ? ", then link your account to keep it everywhere." : ", or ask an admin to link your account."}
        </p>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <label className="flex flex-wrap items-center gap-2 text-sm">
          {me ? "Not you?" : "Which on-call person are you?"}
          <select className="input w-auto" aria-label="Which on-call person are you?" value={me?.id ?? ""} onChange={(e) => onPick(e.target.value || null)}>
            <option value="">choose…</option>
            {users.map((user) => (
              <option key={user.id} value={user.id}>{user.name} ({user.email})</option>
            ))}
          </select>
        </label>
        {me && onLink && (
          <button type="button" className="btn-secondary" onClick={() => onLink(me)}>Link my account to {me.name}</button>
        )}
      </div>
    </section>
  );
}

function MyShifts({ me, days }: { me: OncallUser; days: number }) {
  const from = dayStart(new Date());
  const to = new Date(from.getTime() + days * 86_400_000);
  const { data, error } = useApiQuery(["oncall", "user-shifts", me.id, days], () => oncall.userShifts(me.id, from.toISOString(), to.toISOString()), { pollMs: 60_000 });
  if (error) return <ErrorBanner error={error} />;
  if (!data) return <Loading what="Loading your shifts" />;
  if (!data.some((shift) => new Date(shift.end) > new Date())) return <Empty>No shifts in the next {days} days.</Empty>;
  const now = new Date();
  // Within the range shown (the previous range's answer stays until the new one arrives).
  const upcoming = data.filter((shift) => new Date(shift.end) > now && new Date(shift.start) < to);
  return (
    <div className="space-y-3">
      <ShiftBars shifts={data} from={from} to={to} now={now} label={`Shifts of ${me.name} for the next ${days} days`} barText={(s) => s.schedule_name ?? s.user.name} />
      <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800" aria-label="Upcoming shifts">
        {upcoming.map((shift: UserShift, index) => (
          <li key={index} data-testid="my-shift" className="flex flex-wrap justify-between gap-2 py-1.5">
            <span>
              <strong>{shift.schedule_name}</strong> · team {shift.team.name}
              {shift.source === "override" ? " · override" : shift.layer_name ? ` · ${shift.layer_name}` : ""}
              {new Date(shift.start) <= now && now < new Date(shift.end) && <span className="ml-2 rounded bg-rose-600 px-1.5 text-xs font-semibold text-white">on call now</span>}
            </span>
            <span className="text-slate-600 dark:text-slate-300">{formatTime(shift.start)} → {formatTime(shift.end)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The schedules a person is a participant of (a feed per schedule, filtered to them). */
function mySchedules(schedules: Schedule[], me: OncallUser): Schedule[] {
  return schedules.filter((s) => s.layers.some((layer) => layer.participants.some((p) => p.id === me.id)));
}

function CalendarLinks({ schedules, me }: { schedules: Schedule[]; me: OncallUser }) {
  const [copied, setCopied] = useState<string | null>(null);
  const mine = mySchedules(schedules, me);
  if (mine.length === 0) return <Empty>In no schedule&apos;s rotation (an override alone has no feed of its own).</Empty>;
  return (
    <ul className="space-y-2 text-sm">
      {mine.map((schedule) => {
        const url = `${window.location.origin}${schedule.ical_url}?user_id=${me.id}`;
        return (
          <li key={schedule.id} className="space-y-1" data-testid="calendar-link">
            <div><strong>{schedule.name}</strong> · only {me.name}&apos;s shifts, 7 days back to 84 ahead</div>
            <div className="flex flex-wrap items-center gap-2">
              <input className="input min-w-0 flex-1 font-mono text-xs" readOnly value={url} aria-label={`Calendar URL of ${schedule.name}`} onFocus={(e) => e.target.select()} />
              <button type="button" className="btn-secondary" onClick={() => void navigator.clipboard?.writeText(url).then(() => setCopied(schedule.id))}>
                {copied === schedule.id ? "Copied" : "Copy"}
              </button>
              <a className="btn-secondary" href={url.replace(/^https?:/, "webcal:")}>Subscribe</a>
            </div>
          </li>
        );
      })}
    </ul>
  );
}

/** A person's shifts, calendar links and test page: My on-call, and a person's own page. */
export function PersonOncall({ person, self }: { person: OncallUser; self: boolean }) {
  const schedules = useApiQuery(["oncall", "schedules"], () => oncall.schedules(), { pollMs: 60_000 });
  const [days, setDays] = useState(14);
  return (
    <>
      <section className="card space-y-3" aria-label={self ? "My shifts" : "Shifts"}>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 className="font-semibold">{self ? "My shifts" : "Shifts"} (next {days} days)</h2>
          <RangePicker days={days} onChange={setDays} />
        </div>
        <MyShifts me={person} days={days} />
      </section>
      <section className="card space-y-2" aria-label="Calendar">
        <h2 className="font-semibold">Calendar</h2>
        <p className="text-sm text-slate-600 dark:text-slate-300">
          Subscribe in a calendar app: the URL is secret (anyone with it can read the schedule) and needs no login.
        </p>
        <ErrorBanner error={schedules.error} onRetry={schedules.reload} />
        {schedules.data ? <CalendarLinks schedules={schedules.data} me={person} /> : <Loading />}
      </section>
      <TestPagePanel user={person} self={self} />
      <NotificationRules user={person} />
    </>
  );
}

export function MyOncallPage() {
  const { session, can } = useAuth();
  const username = session?.user.username ?? "";
  const users = useApiQuery(["oncall", "users"], () => oncall.users());
  const [, setPicked] = useState(0); // bumped by a pick: resolve again from localStorage
  const [linkError, setLinkError] = useState<unknown>(null);
  const { user: me, how } = resolveMe(username, users.data ?? []);

  function pick(id: string | null) {
    rememberUserId(username, id);
    setPicked((n) => n + 1);
  }

  /** Admins edit on-call people: store the link with the person, for every browser. */
  async function link(user: OncallUser) {
    setLinkError(null);
    try {
      await oncallSetup.updateUser(user.id, { console_account: username });
      rememberUserId(username, null);
    } catch (cause) {
      setLinkError(cause);
    }
    await users.reload();
  }

  return (
    <div className="space-y-4">
      <PageHeader title="My on-call" />
      <ErrorBanner error={users.error} onRetry={users.reload} />
      <ErrorBanner error={linkError} />
      {users.loading && !users.data ? <Loading /> : <WhoAmI users={users.data ?? []} me={me} how={how} onPick={pick} onLink={can("admin") ? (user) => void link(user) : null} />}
      {me && <PersonOncall person={me} self />}
    </div>
  );
}
