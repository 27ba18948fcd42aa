import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { incidents as incidentsApi } from "../api/endpoints";
import { type IncidentAlert, type IncidentDetail, type IncidentStatus } from "../api/types";
import { useAuth } from "../auth";
import { Empty, ErrorBanner, Loading, SeverityBadge, StatusBadge } from "../components/ui";
import { formatDuration, formatTime, humanize } from "../format";
import { EscalationPanel } from "./EscalationPanel";

import { useLiveData } from "../live/LiveContext";

const ACTION_LABEL: Record<IncidentStatus, string> = {
  open: "Reopen",
  acknowledged: "Acknowledge",
  in_progress: "Start work",
  resolved: "Resolve",
};

/** A 409 says who won: show the current state and refresh instead of failing silently. */
function conflictMessage(error: ApiError): string {
  const details = (error.details ?? {}) as { current_status?: string };
  const current = details.current_status ? ` It is now "${humanize(details.current_status)}".` : "";
  return `Someone else changed this incident first.${current} ${error.message}`.trim();
}


export function IncidentDetailPage() {
  const { id = "" } = useParams();
  const { can, session } = useAuth();
  const incident = useLiveData(["incidents", "detail", id], () => incidentsApi.get(id));
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [resolveNote, setResolveNote] = useState("");
  const [note, setNote] = useState("");
  const [assignee, setAssignee] = useState("");
  const [assignProblem, setAssignProblem] = useState("");

  async function change(body: { status?: IncidentStatus; notes?: string; assignee?: string | null }) {
    setBusy(true);
    setActionError(null);
    try {
      await incidentsApi.update(id, body);
      return true;
    } catch (cause) {
      setActionError(cause instanceof ApiError && cause.status === 409 ? new Error(conflictMessage(cause)) : cause);
      return false;
    } finally {
      setBusy(false);
      await incident.reload();
    }
  }

  if (incident.loading && !incident.data) return <Loading what="Loading incident" />;
  if (!incident.data) return <ErrorBanner error={incident.error ?? new Error("Incident not found")} onRetry={incident.reload} />;
  const data: IncidentDetail = incident.data;
  const responder = can("responder");
  const next = data.allowed_transitions;

  return (
    <div className="space-y-4">
      <div>
        <Link to="/incidents" className="text-sm text-sky-700 hover:underline dark:text-sky-400">
          ← Incidents
        </Link>
        <div className="mt-1 flex flex-wrap items-center gap-2">
          <SeverityBadge severity={data.severity} />
          <h1 className="text-xl font-semibold">{data.title}</h1>
          <StatusBadge status={data.status} />
        </div>
        <p className="text-sm text-slate-500 dark:text-slate-400">
          {data.service} · team {data.team ?? "—"} · assignee {data.assignee ?? "nobody"} · opened {formatTime(data.created_at)}
        </p>
      </div>
      {data.page_state === "nobody_paged" && <NobodyPagedBanner data={data} />}
      <ErrorBanner error={incident.error} onRetry={incident.reload} />
      <ErrorBanner error={actionError} />

      {/* On a phone the actions come first (order-first): at 3 a.m. Acknowledge is the first thing on screen. */}
      <div className="flex flex-col gap-4">
        <div className="grid gap-4 md:grid-cols-3">
          <div className="card">
            <div className="text-xs uppercase text-slate-500 dark:text-slate-400">MTTA</div>
            <div className="text-2xl font-semibold" data-testid="mtta">{formatDuration(data.mtta_seconds)}</div>
            <div className="text-xs text-slate-500">acknowledged {formatTime(data.acknowledged_at)}</div>
          </div>
          <div className="card">
            <div className="text-xs uppercase text-slate-500 dark:text-slate-400">MTTR</div>
            <div className="text-2xl font-semibold" data-testid="mttr">{formatDuration(data.mttr_seconds)}</div>
            <div className="text-xs text-slate-500">resolved {formatTime(data.resolved_at)}</div>
          </div>
          <div className="card">
            <div className="text-xs uppercase text-slate-500 dark:text-slate-400">Alerts</div>
            <div className="text-2xl font-semibold">{data.alert_count ?? data.alerts?.length ?? 0}</div>
            <div className="text-xs text-slate-500">{data.duplicate_count ? `${data.duplicate_count} ${data.duplicate_count === 1 ? "duplicate" : "duplicates"}` : "\u00a0"}</div>
          </div>
        </div>

        {data.description && <p className="card whitespace-pre-wrap text-sm">{data.description}</p>}

        {responder && (
          <section aria-label="Actions" className="card order-first space-y-3 md:order-none">
            <div className="flex flex-wrap items-end gap-2 max-sm:items-start">
              {next
                .filter((state) => state !== "resolved")
                .map((state) => (
                  <button key={state} type="button" className="btn-primary" disabled={busy} onClick={() => change({ status: state })}>
                    {ACTION_LABEL[state]}
                  </button>
                ))}
              {next.includes("resolved") && (
                <form
                  className="flex flex-1 flex-wrap items-end gap-2"
                  onSubmit={async (e: FormEvent) => {
                    e.preventDefault();
                    const body = resolveNote.trim() ? { status: "resolved" as const, notes: resolveNote.trim() } : { status: "resolved" as const };
                    if (await change(body)) setResolveNote("");
                  }}
                >
                  <input className="input min-w-48 flex-1 max-sm:order-last max-sm:basis-full" aria-label="Resolution note" placeholder="Resolution note (optional)" value={resolveNote} onChange={(e) => setResolveNote(e.target.value)} />
                  <button type="submit" className="btn-danger" disabled={busy}>
                    Resolve
                  </button>
                </form>
              )}
            </div>
            <div className="flex flex-wrap gap-4">
              <form
                className="flex flex-wrap items-end gap-2"
                noValidate
                onSubmit={async (e: FormEvent) => {
                  e.preventDefault();
                  // An empty box is not "unassign": that has its own button.
                  if (!assignee.trim()) return setAssignProblem("Type who to assign it to (or use Unassign).");
                  setAssignProblem("");
                  if (await change({ assignee: assignee.trim() })) setAssignee("");
                }}
              >
                <div>
                  <input className="input w-44" aria-label="Assignee" aria-invalid={assignProblem ? true : undefined} aria-describedby="assign-problem" placeholder={data.assignee ?? "assign to…"} value={assignee} onChange={(e) => { setAssignee(e.target.value); setAssignProblem(""); }} />
                  {assignProblem && <p id="assign-problem" role="alert" className="mt-1 text-xs text-rose-700 dark:text-rose-300">{assignProblem}</p>}
                </div>
                <button type="submit" className="btn-secondary" disabled={busy}>
                  Assign
                </button>
                {data.assignee && (
                  <button type="button" className="btn-secondary" disabled={busy} onClick={() => change({ assignee: null })}>
                    Unassign
                  </button>
                )}
                {session && data.assignee !== session.user.username && (
                  <button type="button" className="btn-secondary" disabled={busy} onClick={() => change({ assignee: session.user.username })}>
                    Assign to me
                  </button>
                )}
              </form>
              <form
                className="flex flex-1 items-end gap-2"
                onSubmit={async (e: FormEvent) => {
                  e.preventDefault();
                  if (note.trim() && (await change({ notes: note.trim() }))) setNote("");
                }}
              >
                <input className="input min-w-48 flex-1" aria-label="Note" placeholder="Add a note" value={note} onChange={(e) => setNote(e.target.value)} />
                <button type="submit" className="btn-secondary" disabled={busy || !note.trim()}>
                  Add note
                </button>
              </form>
            </div>
          </section>
        )}
      </div>

      <EscalationPanel incidentId={id} canEscalate={responder && data.status !== "resolved"} />

      <div className="grid gap-4 lg:grid-cols-2">
        <section className="card" aria-label="Timeline">
          <h2 className="mb-2 font-semibold">Timeline</h2>
          {data.timeline?.length ? (
            <ol className="space-y-2 border-l border-slate-300 pl-4 dark:border-slate-700" data-testid="timeline">
              {data.timeline.map((entry, index) => (
                <li key={entry.id ?? index} className="text-sm">
                  <div className="font-medium">{entry.message ?? humanize(entry.event_type)}</div>
                  <div className="text-xs text-slate-500 dark:text-slate-400">
                    {humanize(entry.event_type)} · {entry.actor ?? "system"} · {formatTime(entry.created_at)}
                    {entry.event_type === "alerts_attached" && (
                      <>
                        {" · "}
                        <Link className="text-sky-700 hover:underline dark:text-sky-400" to={`/alerts?incident_id=${encodeURIComponent(id)}`}>
                          view alerts
                        </Link>
                      </>
                    )}
                  </div>
                </li>
              ))}
            </ol>
          ) : (
            <Empty>No timeline entries yet.</Empty>
          )}
        </section>
        <section className="card" aria-label="Notes">
          <h2 className="mb-2 font-semibold">Notes</h2>
          {data.notes?.length ? (
            <ul className="space-y-2" data-testid="notes">
              {data.notes.map((n, index) => (
                <li key={n.id ?? index} className="rounded bg-slate-100 p-2 text-sm dark:bg-slate-800">
                  <p className="whitespace-pre-wrap">{n.body}</p>
                  <p className="text-xs text-slate-500 dark:text-slate-400">
                    {n.author} · {formatTime(n.created_at)}
                  </p>
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No notes yet.</Empty>
          )}
        </section>
      </div>

      <AlertsSection incidentId={id} data={data} />
    </div>
  );
}

/** Issue #15 item 2: an incident that paged nobody says so at the top, with on-call's reasons. */
function NobodyPagedBanner({ data }: { data: IncidentDetail }) {
  const reason = [...(data.timeline ?? [])].reverse().find((entry) => entry.event_type === "nobody_paged")?.message;
  return (
    <div role="alert" data-testid="nobody-paged-banner" className="rounded-md border-2 border-rose-500 bg-rose-50 px-3 py-2 text-sm text-rose-900 dark:bg-rose-950 dark:text-rose-100">
      <strong>Nobody was paged for this incident.</strong> {(reason ?? "No one was on call for its team").replace(/\.?$/, ".")} Page someone with
      &quot;Escalate now&quot; once the team has an on-call, or assign it to a person.
    </div>
  );
}

/** The newest alerts come with the incident; older ones load page by page, on request. */
function AlertsSection({ incidentId, data }: { incidentId: string; data: IncidentDetail }) {
  const [older, setOlder] = useState<IncidentAlert[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  // Until the first "load older", the cursor is the one the detail came with (refreshed by polling).
  const next = cursor === undefined ? data.alerts_next_cursor : cursor;
  const shown = [...(data.alerts ?? []), ...older.filter((a) => !data.alerts?.some((b) => b.id === a.id))];

  async function loadOlder() {
    if (!next) return;
    setLoading(true);
    setLoadError(null);
    try {
      const page = await incidentsApi.alerts(incidentId, next);
      setOlder((previous) => [...previous, ...page.items]);
      setCursor(page.next_cursor);
    } catch (cause) {
      setLoadError(cause);
    } finally {
      setLoading(false);
    }
  }

  return (
    <section className="card relative overflow-x-auto" aria-label="Alerts">
      <h2 className="mb-2 font-semibold">Alerts</h2>
      {data.alerts_source === "unavailable" && (
        <p className="mb-2 text-sm text-amber-700 dark:text-amber-300">
          Alert ingestion, which stores the alerts, is unreachable: {data.alert_count} alerts are counted on this incident and will show again once it is back.
        </p>
      )}
      {shown.length ? (
        <table className="min-w-full">
          <thead>
            <tr>
              <th className="th">Received</th>
              <th className="th">Message</th>
              <th className="th">Result</th>
              <th className="th">Labels</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((alert) => (
              <tr key={alert.id}>
                <td className="td whitespace-nowrap">{formatTime(alert.received_at)}</td>
                <td className="td">{alert.message}</td>
                <td className="td">{alert.result ? humanize(alert.result) : "—"}</td>
                <td className="td font-mono text-xs">
                  {Object.entries(alert.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(" ")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        data.alerts_source !== "unavailable" && <Empty>No alerts attached.</Empty>
      )}
      {loadError ? <ErrorBanner error={loadError} onRetry={loadOlder} /> : null}
      {next && (
        <button type="button" className="btn-secondary mt-2" disabled={loading} onClick={loadOlder}>
          {loading ? "Loading…" : `Load older alerts (${shown.length} of ${data.alert_count} shown)`}
        </button>
      )}
    </section>
  );
}
