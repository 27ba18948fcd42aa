import { useState } from "react";
import { ApiError } from "../api/client";
import { escalations, notifications } from "../api/endpoints";
import type { Escalation, EscalationPage, NotificationRecord } from "../api/types";
import { Empty, ErrorBanner, Loading } from "../components/ui";
import { formatTime, humanize, timeAgo } from "../format";
import { useApiQuery } from "../hooks";

const REFRESH_MS = 5_000;

/** On-call's escalation and the notifications it sent, loaded together (one refresh). */
async function loadEscalation(incidentId: string): Promise<{ escalation: Escalation | null; sent: NotificationRecord[] }> {
  try {
    const [escalation, sent] = await Promise.all([
      escalations.get(incidentId),
      notifications.list({ incident_id: incidentId, limit: 100 }),
    ]);
    return { escalation, sent: sent.items };
  } catch (cause) {
    // 404: on-call has not started escalating this incident yet (its start is queued).
    if (cause instanceof ApiError && cause.status === 404) return { escalation: null, sent: [] };
    throw cause;
  }
}

/** Whether a page reached the person: the page's own state, then the notification's delivery. */
function delivery(page: EscalationPage, sent: NotificationRecord[]): string {
  // A notification rule's later step (or one held for quiet hours) waits until it is due.
  if (page.status === "queued" && page.due_at && new Date(page.due_at) > new Date()) return `due ${formatTime(page.due_at)}`;
  if (page.status !== "sent") return humanize(page.status) + (page.last_error ? `: ${page.last_error}` : "");
  const notification = sent.find((n) => n.id === page.notification_id);
  if (!notification) return "handed to notification";
  if (notification.status === "failed") return `failed: ${notification.last_error ?? "not delivered"}`;
  return notification.status === "delivered" ? `delivered ${timeAgo(notification.delivered_at)}` : "sending…";
}

function stateLine(e: Escalation): string {
  const levels = Array.isArray(e.policy?.levels) ? e.policy.levels.length : null;
  const of = levels ? ` of ${levels}` : "";
  if (e.status === "stopped") {
    const at = e.last_level ? ` at level ${e.last_level}${of}` : " before any level was paged";
    return `Stopped${at}: ${e.stop_reason ?? "stopped"} by ${e.stopped_by ?? "someone"} ${timeAgo(e.stopped_at)}`;
  }
  const paged = e.last_level ? `Level ${e.last_level}${of} paged (round ${e.round})` : "Starting";
  if (e.status === "exhausted") return `${paged}; every level was paged, nothing further is scheduled`;
  return `${paged}; level ${e.next_level}${of} fires ${formatTime(e.next_step_at)}`;
}

/** Issue #15 item 3: the escalation on the incident (level, who was paged on which channel and
 * whether it arrived, the next level's time, who stopped it) and "Escalate now". */
export function EscalationPanel({ incidentId, canEscalate }: { incidentId: string; canEscalate: boolean }) {
  const loaded = useApiQuery(["escalations", incidentId], () => loadEscalation(incidentId), { pollMs: REFRESH_MS });
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const escalation = loaded.data?.escalation;

  async function escalateNow() {
    setBusy(true);
    setActionError(null);
    try {
      await escalations.escalateNow(incidentId);
    } catch (cause) {
      setActionError(cause);
    } finally {
      setBusy(false);
      await loaded.reload();
    }
  }

  return (
    <section className="card space-y-2" aria-label="Escalation">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-semibold">Escalation</h2>
        {canEscalate && escalation && escalation.status !== "stopped" && (
          <button type="button" className="btn-secondary" disabled={busy} onClick={escalateNow}>
            Escalate now
          </button>
        )}
      </div>
      <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
      <ErrorBanner error={actionError} />
      {loaded.loading && !loaded.data && <Loading what="Loading the escalation" />}
      {loaded.data && !escalation && <Empty>On-call has not started escalating this incident yet.</Empty>}
      {escalation && (
        <>
          <p className="text-sm" data-testid="escalation-state">
            <strong>{String(escalation.policy?.name ?? "policy")}</strong> · {stateLine(escalation)}
          </p>
          {escalation.pages.length ? (
            <table className="min-w-full text-sm" data-testid="escalation-pages">
              <thead>
                <tr>
                  <th className="th">Level</th>
                  <th className="th">Paged</th>
                  <th className="th">Channel</th>
                  <th className="th">Delivery</th>
                </tr>
              </thead>
              <tbody>
                {escalation.pages.map((page) => (
                  <tr key={`${page.step}-${page.user_id}-${page.channel}-${page.recipient}`} data-testid="escalation-page">
                    <td className="td">{page.level} (round {page.round})</td>
                    <td className="td">{page.user_name}</td>
                    <td className="td">
                      {page.channel} · {page.recipient}
                      {page.notification_rule && <div className="text-xs text-slate-500" data-testid="page-rule">rule: {page.notification_rule}</div>}
                    </td>
                    <td className="td">{delivery(page, loaded.data?.sent ?? [])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="text-sm text-slate-500 dark:text-slate-400">Nobody has been paged.</p>
          )}
        </>
      )}
    </section>
  );
}
