import { Link } from "react-router-dom";
import { notifications as notificationsApi } from "../api/endpoints";
import { Empty, ErrorBanner, Field, Loading, PageHeader, Pager } from "../components/ui";
import { formatTime } from "../format";
import { useFilterParams, useApiQuery } from "../hooks";

const PAGE_SIZE = 50;
const STATUS_STYLE: Record<string, string> = {
  delivered: "text-emerald-700 dark:text-emerald-300",
  failed: "text-rose-700 dark:text-rose-300",
};

export function NotificationsPage() {
  const { params, setFilter: update } = useFilterParams("offset");
  const filters = {
    channel: params.get("channel") ?? "",
    status: params.get("status") ?? "",
    recipient: params.get("recipient") ?? "",
    incident_id: params.get("incident_id") ?? "",
    limit: PAGE_SIZE,
    offset: Number(params.get("offset") ?? 0) || 0,
  };
  const { data, error, loading, reload } = useApiQuery(["notifications", params.toString()], () => notificationsApi.list(filters), { pollMs: 5000 });

  return (
    <div>
      <PageHeader title="Notifications" />
      <div className="card mb-4 flex flex-wrap items-end gap-3">
        <Field label="Channel">
          <select className="input" value={filters.channel} onChange={(e) => update("channel", e.target.value)}>
            <option value="">any</option>
            {["mock", "webhook", "email", "slack"].map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </Field>
        <Field label="Status">
          <select className="input" value={filters.status} onChange={(e) => update("status", e.target.value)}>
            <option value="">any</option>
            {["pending", "delivered", "failed"].map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </Field>
        <Field label="Recipient">
          <input className="input w-40" defaultValue={filters.recipient} placeholder="any" onBlur={(e) => update("recipient", e.target.value.trim())} />
        </Field>
      </div>
      <ErrorBanner error={error} onRetry={reload} />
      {loading && !data ? (
        <Loading what="Loading notifications" />
      ) : data && data.items.length === 0 ? (
        <Empty>No notifications sent yet.</Empty>
      ) : data ? (
        <div className="card relative overflow-x-auto p-0">
          <table className="min-w-full divide-y divide-slate-200 dark:divide-slate-800">
            <thead>
              <tr>
                <th className="th">Created</th>
                <th className="th">Recipient</th>
                <th className="th">Channel</th>
                <th className="th">Subject</th>
                <th className="th">Status</th>
                <th className="th">Attempts</th>
                <th className="th">Last error</th>
                <th className="th">Incident</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {data.items.map((n) => (
                <tr key={n.id} data-testid="notification-row">
                  <td className="td whitespace-nowrap">{formatTime(n.created_at)}</td>
                  <td className="td">{n.recipient}</td>
                  <td className="td">{n.channel}</td>
                  <td className="td">
                    {n.subject ?? "—"}
                    {n.notification_rule && <div className="text-xs text-slate-500" data-testid="notification-rule">sent by rule: {n.notification_rule}</div>}
                  </td>
                  <td className={`td font-medium ${STATUS_STYLE[n.status] ?? ""}`}>{n.status}</td>
                  <td className="td">{n.attempts ?? "—"}</td>
                  <td className="td text-rose-700 dark:text-rose-300">{n.last_error ?? ""}</td>
                  <td className="td">
                    {n.incident_id ? (
                      <Link className="text-sky-700 hover:underline dark:text-sky-400" to={`/incidents/${n.incident_id}`}>view</Link>
                    ) : "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {data && <Pager offset={filters.offset} limit={PAGE_SIZE} total={data.total} count={data.items.length} onChange={(o) => update("offset", String(o))} />}
    </div>
  );
}
