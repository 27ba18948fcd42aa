import { Link } from "react-router-dom";
import { alerts as alertsApi } from "../api/endpoints";
import { SEVERITIES } from "../api/types";
import { Empty, ErrorBanner, Field, Loading, PageHeader, SeverityBadge } from "../components/ui";
import { formatTime, humanize } from "../format";
import { useFilterParams } from "../hooks";
import { useLiveData } from "../live/LiveContext";

const PAGE_SIZE = 50;

// Links an alert's source kept (Alertmanager's generatorURL, Grafana's dashboard/panel/silence, a
// runbook annotation, PagerDuty's links); only http(s), so a sender cannot plant a javascript: URL.
const LINKS: [string, string][] = [
  ["generator_url", "source"],
  ["dashboard_url", "dashboard"],
  ["panel_url", "panel"],
  ["runbook_url", "runbook"],
  ["silence_url", "silence"],
];

function safe(url: unknown): url is string {
  return typeof url === "string" && /^https?:\/\//i.test(url);
}

export function alertLinks(details: Record<string, unknown> | null | undefined): { href: string; text: string }[] {
  if (!details) return [];
  const named = LINKS.filter(([key]) => safe(details[key])).map(([key, text]) => ({ href: details[key] as string, text }));
  const extra = Array.isArray(details.links) ? (details.links as { href?: unknown; text?: unknown }[]) : [];
  return [
    ...named,
    ...extra.filter((link) => safe(link.href)).map((link) => ({ href: link.href as string, text: typeof link.text === "string" && link.text ? link.text : "link" })),
  ];
}

export function AlertsPage() {
  const { params, setFilter: update } = useFilterParams("cursor");
  const filters = {
    service: params.get("service") ?? "",
    severity: params.get("severity") ?? "",
    incident_id: params.get("incident_id") ?? "",
    limit: PAGE_SIZE,
    cursor: params.get("cursor") ?? "",
  };
  const { data, error, loading, reload } = useLiveData(["alerts", "list", params.toString()], () => alertsApi.list(filters), 5000);

  return (
    <div>
      <PageHeader title="Alerts" />
      <div className="card mb-4 flex flex-wrap items-end gap-3">
        <Field label="Service">
          <input className="input w-40" defaultValue={filters.service} placeholder="any" onBlur={(e) => update("service", e.target.value.trim())} onKeyDown={(e) => e.key === "Enter" && update("service", (e.target as HTMLInputElement).value.trim())} />
        </Field>
        <Field label="Severity">
          <select className="input" value={filters.severity} onChange={(e) => update("severity", e.target.value)}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Incident id">
          <input className="input w-72 font-mono" defaultValue={filters.incident_id} placeholder="any" onBlur={(e) => update("incident_id", e.target.value.trim())} />
        </Field>
      </div>
      <ErrorBanner error={error} onRetry={reload} />
      {loading && !data ? (
        <Loading what="Loading alerts" />
      ) : data && data.items.length === 0 ? (
        <Empty>No alerts match these filters.</Empty>
      ) : data ? (
        <div className="card relative overflow-x-auto p-0">
          <table className="min-w-full divide-y divide-slate-200 dark:divide-slate-800">
            <thead>
              <tr>
                <th className="th">Received</th>
                <th className="th">Severity</th>
                <th className="th">Service</th>
                <th className="th">Message</th>
                <th className="th">Source</th>
                <th className="th">Result</th>
                <th className="th">Incident</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {data.items.map((alert) => (
                <tr key={alert.id} data-testid="alert-row">
                  <td className="td whitespace-nowrap">{formatTime(alert.received_at)}</td>
                  <td className="td"><SeverityBadge severity={alert.severity} /></td>
                  <td className="td">{alert.service}</td>
                  <td className="td">{alert.message}</td>
                  <td className="td" data-testid="alert-source">
                    <span>{alert.source ?? "api"}</span>
                    {alert.status === "resolved" && <span className="ml-1 text-emerald-700 dark:text-emerald-400">resolved</span>}
                    {alertLinks(alert.details).map((link) => (
                      <a key={link.href + link.text} className="ml-2 text-sky-700 hover:underline dark:text-sky-400" href={link.href} target="_blank" rel="noreferrer noopener">{link.text}</a>
                    ))}
                  </td>
                  <td className="td">{alert.result ? humanize(alert.result) : "—"}</td>
                  <td className="td">
                    {alert.incident_id ? (
                      <Link className="text-sky-700 hover:underline dark:text-sky-400" to={`/incidents/${alert.incident_id}`}>
                        view incident
                      </Link>
                    ) : alert.suppressed_by ? (
                      <Link className="text-violet-700 hover:underline dark:text-violet-400" to="/silences" data-testid="alert-silenced">
                        {alert.suppressed_by.kind === "silence" ? "silenced" : "in maintenance"}
                      </Link>
                    ) : (
                      <span className="text-slate-500">linking pending</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {data && (
        <nav aria-label="Pagination" className="mt-3 flex justify-end gap-2 text-sm">
          <button type="button" className="btn-secondary" disabled={!filters.cursor} onClick={() => update("cursor", "")}>
            Newest
          </button>
          <button type="button" className="btn-secondary" disabled={!data.next_cursor} onClick={() => update("cursor", data.next_cursor ?? "")}>
            Older
          </button>
        </nav>
      )}
    </div>
  );
}
