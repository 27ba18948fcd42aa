import { Link, useSearchParams } from "react-router-dom";
import { incidents as incidentsApi } from "../api/endpoints";
import { SEVERITIES, STATUSES, type IncidentStatus } from "../api/types";
import { Empty, ErrorBanner, Field, Loading, PageHeader, Pager, SeverityBadge, StatusBadge } from "../components/ui";
import { humanize, timeAgo } from "../format";
import { usePolling } from "../hooks";

const PAGE_SIZE = 25;
const SORTS = [
  { value: "-created_at", label: "Newest first" },
  { value: "created_at", label: "Oldest first" },
  { value: "severity", label: "By severity" },
  { value: "-updated_at", label: "Recently changed" },
];
const DEFAULT_STATUSES: IncidentStatus[] = ["open", "acknowledged", "in_progress"];

export function IncidentsPage() {
  const [params, setParams] = useSearchParams();
  const statuses = params.has("status") ? (params.getAll("status").filter(Boolean) as IncidentStatus[]) : DEFAULT_STATUSES;
  const filters = {
    status: statuses,
    severity: params.get("severity") ?? "",
    service: params.get("service") ?? "",
    team: params.get("team") ?? "",
    assignee: params.get("assignee") ?? "",
    page_state: params.get("page_state") ?? "",
    sort: params.get("sort") ?? "-created_at",
    limit: PAGE_SIZE,
    offset: Number(params.get("offset") ?? 0) || 0,
  };
  const key = params.toString();
  const { data, error, loading, reload } = usePolling(() => incidentsApi.list(filters), [key]);

  function update(changes: Record<string, string | string[] | null>) {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      next.delete(name);
      if (Array.isArray(value)) {
        if (value.length === 0) next.append(name, "");
        value.forEach((item) => next.append(name, item));
      } else if (value) next.set(name, value);
    }
    if (!("offset" in changes)) next.delete("offset");
    setParams(next, { replace: true });
  }

  function toggleStatus(status: IncidentStatus) {
    update({ status: statuses.includes(status) ? statuses.filter((s) => s !== status) : [...statuses, status] });
  }

  return (
    <div>
      <PageHeader title="Incidents">
        <span className="text-xs text-slate-500 dark:text-slate-400" aria-live="polite">
          Live · refreshes every few seconds
        </span>
      </PageHeader>
      <div className="card mb-4 flex flex-wrap items-end gap-3">
        <fieldset className="flex flex-wrap gap-2">
          <legend className="mb-1 text-xs font-medium text-slate-600 dark:text-slate-300">Status</legend>
          {STATUSES.map((status) => (
            <label key={status} className="flex items-center gap-1 text-sm">
              <input type="checkbox" checked={statuses.includes(status)} onChange={() => toggleStatus(status)} />
              {humanize(status)}
            </label>
          ))}
        </fieldset>
        <Field label="Severity">
          <select className="input" value={filters.severity} onChange={(e) => update({ severity: e.target.value })}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        {(["service", "team", "assignee"] as const).map((name) => (
          <Field key={name} label={humanize(name)[0].toUpperCase() + name.slice(1)}>
            <input className="input w-36" defaultValue={filters[name]} placeholder="any" onBlur={(e) => update({ [name]: e.target.value.trim() })} onKeyDown={(e) => e.key === "Enter" && update({ [name]: (e.target as HTMLInputElement).value.trim() })} />
          </Field>
        ))}
        <label className="flex items-center gap-1 self-center text-sm">
          <input type="checkbox" checked={filters.page_state === "nobody_paged"} onChange={(e) => update({ page_state: e.target.checked ? "nobody_paged" : null })} />
          Paged nobody only
        </label>
        <Field label="Sort">
          <select className="input" value={filters.sort} onChange={(e) => update({ sort: e.target.value })}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <ErrorBanner error={error} onRetry={reload} />
      {loading && !data ? (
        <Loading what="Loading incidents" />
      ) : data && data.items.length === 0 ? (
        <Empty>No incidents match these filters. All quiet.</Empty>
      ) : data ? (
        <div className="card overflow-x-auto p-0">
          <table className="min-w-full divide-y divide-slate-200 dark:divide-slate-800">
            <thead>
              <tr>
                <th className="th">Severity</th>
                <th className="th">Title</th>
                <th className="th">Service</th>
                <th className="th">Status</th>
                <th className="th">Team</th>
                <th className="th">Assignee</th>
                <th className="th">Opened</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {data.items.map((incident) => (
                <tr key={incident.id} data-testid="incident-row" className="hover:bg-slate-50 dark:hover:bg-slate-800/50">
                  <td className="td"><SeverityBadge severity={incident.severity} /></td>
                  <td className="td font-medium">
                    <Link to={`/incidents/${incident.id}`} className="text-sky-700 hover:underline dark:text-sky-400">
                      {incident.title}
                    </Link>
                    {incident.page_state === "nobody_paged" && (
                      <span data-testid="nobody-paged-badge" title="The escalation paged nobody" className="ml-2 inline-block rounded bg-rose-600 px-1.5 py-0.5 text-xs font-semibold text-white">
                        nobody paged
                      </span>
                    )}
                  </td>
                  <td className="td">{incident.service}</td>
                  <td className="td"><StatusBadge status={incident.status} /></td>
                  <td className="td">{incident.team ?? "—"}</td>
                  <td className="td">{incident.assignee ?? "—"}</td>
                  <td className="td whitespace-nowrap" title={incident.created_at}>{timeAgo(incident.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {data && (
        <Pager offset={filters.offset} limit={PAGE_SIZE} total={data.total} count={data.items.length} onChange={(offset) => update({ offset: String(offset) })} />
      )}
    </div>
  );
}
