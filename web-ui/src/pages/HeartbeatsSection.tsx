// Heartbeats: a cron job or script pings its URL (GET or POST); a missed ping past interval +
// grace raises an alert through the normal path and the next ping resolves it. Admin's: the
// list carries the ping URLs.
import { useState, type FormEvent } from "react";
import { heartbeats as api } from "../api/endpoints";
import type { Heartbeat } from "../api/types";
import { Empty, ErrorBanner, Field, Loading } from "../components/ui";
import { formatDuration, formatTime } from "../format";
import { useApiQuery, invalidate } from "../hooks";
import { CopyButton } from "./IntegrationsSection";
import { useAction } from "./useAction";

const STATE_STYLE: Record<Heartbeat["state"], string> = {
  up: "bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200",
  waiting: "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
  down: "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200",
};

export function HeartbeatsSection() {
  const list = useApiQuery(["suppression", "heartbeats"], () => api.list(), { pollMs: 10000 });
  const { error, act } = useAction(() => invalidate("suppression"));
  const [name, setName] = useState("");
  const [team, setTeam] = useState("");
  const [interval, setIntervalMinutes] = useState(60);
  const [grace, setGrace] = useState(5);
  async function create(event: FormEvent) {
    event.preventDefault();
    const body = { name, team, severity: "high" as const, interval_seconds: interval * 60, grace_seconds: grace * 60 };
    if (await act(() => api.create(body))) {
      setName("");
      setTeam("");
    }
  }
  return (
    <section className="card space-y-3" aria-label="Heartbeats">
      <h2 className="font-semibold">Heartbeats</h2>
      <p className="text-sm text-slate-500 dark:text-slate-400">
        Ping the URL from a cron job (<code>curl -fsS URL</code>). No ping within interval + grace raises an alert; the next ping resolves it.
      </p>
      <ErrorBanner error={error ?? list.error} />
      {list.loading && !list.data ? <Loading /> : list.data?.length ? (
        <div className="relative overflow-x-auto">
          <table className="min-w-full">
            <thead><tr><th className="th">Name</th><th className="th">State</th><th className="th">Every</th><th className="th">Last ping</th><th className="th">Deadline</th><th className="th">Ping URL</th><th className="th"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.map((heartbeat) => (
                <tr key={heartbeat.id} data-testid="heartbeat-row">
                  <td className="td">{heartbeat.name}<div className="text-xs text-slate-500">team {heartbeat.team}</div></td>
                  <td className="td"><span className={`rounded px-2 py-0.5 text-xs font-medium ${STATE_STYLE[heartbeat.state]}`}>{heartbeat.state}</span></td>
                  <td className="td whitespace-nowrap">{formatDuration(heartbeat.interval_seconds)} + {formatDuration(heartbeat.grace_seconds)}</td>
                  <td className="td whitespace-nowrap">{heartbeat.last_ping_at ? formatTime(heartbeat.last_ping_at) : "never"}</td>
                  <td className="td whitespace-nowrap">{formatTime(heartbeat.deadline_at)}</td>
                  <td className="td min-w-[18rem]"><span className="break-all font-mono text-xs">{heartbeat.ping_url}</span> <CopyButton text={heartbeat.ping_url} label={`ping URL of ${heartbeat.name}`} /></td>
                  <td className="td whitespace-nowrap text-right">
                    <button type="button" className="btn-secondary" onClick={() => window.confirm(`New ping URL for ${heartbeat.name}? The old one stops working.`) && act(() => api.rotateKey(heartbeat.id))}>New URL</button>{" "}
                    <button type="button" className="btn-secondary" onClick={() => window.confirm(`Delete ${heartbeat.name}?`) && act(() => api.remove(heartbeat.id))}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : list.data ? <Empty>No heartbeats yet.</Empty> : null}
      <form className="flex flex-wrap items-end gap-2" onSubmit={create} aria-label="New heartbeat">
        <Field label="Heartbeat name"><input className="input w-44" required value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Team"><input className="input w-32" required value={team} onChange={(e) => setTeam(e.target.value)} /></Field>
        <Field label="Interval (minutes)"><input className="input w-24" type="number" min={1} required value={interval} onChange={(e) => setIntervalMinutes(Number(e.target.value))} /></Field>
        <Field label="Grace (minutes)"><input className="input w-24" type="number" min={0} required value={grace} onChange={(e) => setGrace(Number(e.target.value))} /></Field>
        <button className="btn-primary" type="submit">Create heartbeat</button>
      </form>
    </section>
  );
}
