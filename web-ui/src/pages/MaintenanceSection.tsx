// Maintenance windows (PagerDuty's model): services or teams + a time range, scheduled ahead,
// optionally weekly at the same wall-clock time in a time zone. Admins create them.
import { useState, type FormEvent } from "react";
import { maintenanceWindows as api } from "../api/endpoints";
import { Empty, ErrorBanner, Field, Loading } from "../components/ui";
import { formatTime } from "../format";
import { useApiQuery, invalidate } from "../hooks";
import { currentZone, isZone, wallTimeToInstant } from "../timezone";
import { LifecycleBadge } from "./SilencesSection";
import { useAction } from "./useAction";

/** "a, b ,c" -> ["a", "b", "c"] */
export function commaList(text: string): string[] {
  return text.split(",").map((part) => part.trim()).filter(Boolean);
}

export function MaintenanceSection({ isAdmin }: { isAdmin: boolean }) {
  const list = useApiQuery(["suppression", "maintenance-windows"], () => api.list(), { pollMs: 10000 });
  const { error, act } = useAction(() => invalidate("suppression"));
  const [name, setName] = useState("");
  const [services, setServices] = useState("");
  const [teams, setTeams] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [weekly, setWeekly] = useState(false);
  const [zone, setZone] = useState(currentZone);
  const [zoneProblem, setZoneProblem] = useState("");
  async function create(event: FormEvent) {
    event.preventDefault();
    setZoneProblem("");
    if (!isZone(zone)) {
      setZoneProblem(`"${zone}" is not a time zone: use an IANA name such as Europe/Berlin or UTC.`);
      return;
    }
    const body = {
      name,
      services: commaList(services),
      teams: commaList(teams),
      // datetime-local is a wall clock without a zone: read on the window's own zone's clocks.
      starts_at: wallTimeToInstant(start, zone).toISOString(),
      ends_at: wallTimeToInstant(end, zone).toISOString(),
      recurrence: weekly ? ("weekly" as const) : ("none" as const),
      time_zone: zone,
    };
    if (await act(() => api.create(body))) {
      setName("");
      setServices("");
      setTeams("");
    }
  }
  return (
    <section className="card space-y-3" aria-label="Maintenance windows">
      <h2 className="font-semibold">Maintenance windows</h2>
      <p className="text-sm text-slate-500 dark:text-slate-400">
        During a window the services' alerts are stored and shown, but open no incident and page nobody.
      </p>
      <ErrorBanner error={error ?? list.error} />
      {list.loading && !list.data ? <Loading /> : list.data?.length ? (
        <div className="relative overflow-x-auto">
          <table className="min-w-full">
            <thead><tr><th className="th">Name</th><th className="th">Services / teams</th><th className="th">Status</th><th className="th">Now or next</th><th className="th">Repeats</th><th className="th"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.map((item) => (
                <tr key={item.id} data-testid="window-row">
                  <td className="td">{item.name}<div className="text-xs text-slate-500">by {item.created_by}</div></td>
                  <td className="td">{[...item.services, ...item.teams.map((t) => `team ${t}`)].join(", ")}</td>
                  <td className="td"><LifecycleBadge status={item.status} /></td>
                  <td className="td whitespace-nowrap">{item.next_start ? `${formatTime(item.next_start)} – ${formatTime(item.next_end)}` : "—"}</td>
                  <td className="td">{item.recurrence === "weekly" ? `weekly (${item.time_zone})` : "once"}</td>
                  <td className="td text-right">
                    {isAdmin && <button type="button" className="btn-secondary" onClick={() => window.confirm(`Delete ${item.name}?`) && act(() => api.remove(item.id))}>Delete</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : list.data ? <Empty>No maintenance windows.</Empty> : null}
      {isAdmin && (
        <form className="flex flex-wrap items-end gap-2" onSubmit={create} aria-label="New maintenance window">
          <Field label="Window name"><input className="input w-44" required value={name} onChange={(e) => setName(e.target.value)} /></Field>
          <Field label="Services (comma-separated)"><input className="input w-44" value={services} onChange={(e) => setServices(e.target.value)} /></Field>
          <Field label="Teams (comma-separated)"><input className="input w-36" value={teams} onChange={(e) => setTeams(e.target.value)} /></Field>
          <Field label="Starts"><input className="input" type="datetime-local" required value={start} onChange={(e) => setStart(e.target.value)} /></Field>
          <Field label="Ends"><input className="input" type="datetime-local" required value={end} onChange={(e) => setEnd(e.target.value)} /></Field>
          <label className="flex items-center gap-1 text-sm"><input type="checkbox" checked={weekly} onChange={(e) => setWeekly(e.target.checked)} /> Every week</label>
          <Field label="Time zone"><input className="input w-40" value={zone} onChange={(e) => setZone(e.target.value)} /></Field>
          <button className="btn-primary" type="submit">Schedule window</button>
          <p className="w-full text-xs text-slate-500 dark:text-slate-400">Starts and ends are read on the clocks of {isZone(zone) ? zone : "the time zone above"}.</p>
          {zoneProblem && <p role="alert" className="w-full text-sm text-rose-700 dark:text-rose-300">{zoneProblem}</p>}
        </form>
      )}
    </section>
  );
}
