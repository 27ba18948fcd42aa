import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { incidents as incidentsApi } from "../api/endpoints";
import { SEVERITIES, STATUSES, type BulkResult, type IncidentStatus } from "../api/types";
import { useAuth } from "../auth";
import { Empty, ErrorBanner, Field, Loading, PageHeader, Pager, SeverityBadge, StatusBadge } from "../components/ui";
import { humanize, timeAgo } from "../format";
import { BulkBar, BulkOutcome, type BulkAction } from "../incidents/BulkBar";
import { listKeyAction, moveCursor } from "../incidents/keyboard";
import { ShortcutsDialog } from "../incidents/ShortcutsDialog";
import { LiveControls } from "../live/LiveControls";
import { useLive, useLiveData } from "../live/LiveContext";

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
  const navigate = useNavigate();
  const { can } = useAuth();
  const live = useLive();
  const responder = can("responder");
  const statuses = params.has("status") ? (params.getAll("status").filter(Boolean) as IncidentStatus[]) : DEFAULT_STATUSES;
  const filters = {
    status: statuses,
    severity: params.get("severity") ?? "",
    q: params.get("q") ?? "",
    // The box finds part of a name, in any case (the API's `service` is the exact name).
    service_contains: params.get("service") ?? "",
    team: params.get("team") ?? "",
    assignee: params.get("assignee") ?? "",
    page_state: params.get("page_state") ?? "",
    sort: params.get("sort") ?? "-created_at",
    limit: PAGE_SIZE,
    offset: Number(params.get("offset") ?? 0) || 0,
  };
  const key = params.toString();
  const { data, error, loading, reload } = useLiveData(["incidents", "list", key], () => incidentsApi.list(filters));
  const items = data?.items ?? [];
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [cursorId, setCursorId] = useState<string | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ result: BulkResult; titles: Record<string, string> } | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const search = useRef<HTMLInputElement>(null);

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

  function toggleSelected(id: string) {
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  async function act(action: BulkAction, ids: string[]) {
    if (!responder || ids.length === 0 || busy) return;
    const titles = Object.fromEntries(items.map((item) => [item.id, item.title]));
    setBusy(true);
    setActionError(null);
    try {
      const result = await incidentsApi.bulk(action, ids);
      setOutcome({ result, titles });
      setSelected(new Set());
      await reload();
    } catch (cause) {
      setActionError(cause instanceof ApiError ? cause : new Error(String(cause)));
    } finally {
      setBusy(false);
    }
  }

  // The keys act on what the person sees: the selection if any, else the highlighted row.
  const keyState = { items, cursorId, selected, helpOpen };
  const keyRef = useRef(keyState);
  keyRef.current = keyState;
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      const action = listKeyAction(event);
      if (!action) return;
      const { items: rows, cursorId: current, selected: chosen, helpOpen: help } = keyRef.current;
      if (help && action !== "close" && action !== "help") return;
      const index = rows.findIndex((row) => row.id === current);
      const targets = chosen.size ? [...chosen] : current ? [current] : [];
      event.preventDefault();
      if (action === "down" || action === "up") {
        const next = moveCursor(index, action === "down" ? 1 : -1, rows.length);
        setCursorId(next < 0 ? null : rows[next].id);
      } else if (action === "open" && current) navigate(`/incidents/${current}`);
      else if (action === "select" && current && responder) toggleSelected(current);
      else if (action === "acknowledge" || action === "resolve") void act(action, targets);
      else if (action === "search") search.current?.focus();
      else if (action === "help") setHelpOpen(!help);
      else if (action === "pause") live.setPaused(!live.paused);
      else if (action === "close") {
        if (help) setHelpOpen(false);
        else (document.activeElement as HTMLElement | null)?.blur();
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  useEffect(() => {
    document.querySelector(`[data-incident-id="${cursorId}"]`)?.scrollIntoView?.({ block: "nearest" });
  }, [cursorId]);

  const allOnPage = items.length > 0 && items.every((item) => selected.has(item.id));
  return (
    <div>
      <PageHeader title="Incidents">
        <LiveControls />
        <button type="button" className="text-xs underline" onClick={() => setHelpOpen(true)}>
          Shortcuts (?)
        </button>
      </PageHeader>
      <div className="card mb-4 flex flex-wrap items-end gap-3">
        <Field label="Search">
          <input
            ref={search}
            type="search"
            className="input w-56"
            defaultValue={filters.q}
            placeholder="title, service, label… ( / )"
            onKeyDown={(e) => e.key === "Enter" && update({ q: (e.target as HTMLInputElement).value.trim() })}
            onBlur={(e) => e.target.value.trim() !== filters.q && update({ q: e.target.value.trim() })}
          />
        </Field>
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
            <input className="input w-36" defaultValue={params.get(name) ?? ""} placeholder={name === "service" ? "any, or part" : "any"} onBlur={(e) => update({ [name]: e.target.value.trim() })} onKeyDown={(e) => e.key === "Enter" && update({ [name]: (e.target as HTMLInputElement).value.trim() })} />
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
      {responder && selected.size > 0 && <BulkBar count={selected.size} busy={busy} onAction={(action) => void act(action, [...selected])} onClear={() => setSelected(new Set())} />}
      {outcome && <BulkOutcome result={outcome.result} titles={outcome.titles} onDismiss={() => setOutcome(null)} />}
      <ErrorBanner error={actionError} />
      <ErrorBanner error={error} onRetry={reload} />
      {loading && !data ? (
        <Loading what="Loading incidents" />
      ) : data && data.items.length === 0 ? (
        <Empty>No incidents match these filters. All quiet.</Empty>
      ) : data ? (
        <div className="card relative overflow-x-auto p-0">
          <table className="min-w-full divide-y divide-slate-200 dark:divide-slate-800">
            <thead>
              <tr>
                {responder && (
                  <th className="th w-8">
                    <input type="checkbox" aria-label="Select all on this page" checked={allOnPage} onChange={() => setSelected(allOnPage ? new Set() : new Set(items.map((item) => item.id)))} />
                  </th>
                )}
                <th className="th">Severity</th>
                <th className="th">Title</th>
                <th className="th hidden sm:table-cell">Service</th>
                <th className="th">Status</th>
                <th className="th hidden sm:table-cell">Team</th>
                <th className="th hidden sm:table-cell">Assignee</th>
                <th className="th hidden sm:table-cell">Opened</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {data.items.map((incident) => (
                <tr
                  key={incident.id}
                  data-testid="incident-row"
                  data-incident-id={incident.id}
                  aria-current={incident.id === cursorId ? "true" : undefined}
                  className={`hover:bg-slate-50 dark:hover:bg-slate-800/50 ${incident.id === cursorId ? "bg-sky-50 outline outline-2 -outline-offset-2 outline-sky-500 dark:bg-sky-950" : ""}`}
                >
                  {responder && (
                    <td className="td">
                      <input type="checkbox" aria-label={`Select ${incident.title}`} checked={selected.has(incident.id)} onChange={() => toggleSelected(incident.id)} />
                    </td>
                  )}
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
                  <td className="td hidden sm:table-cell">{incident.service}</td>
                  <td className="td">
                    <StatusBadge status={incident.status} />
                    {/* On a phone the Opened column is hidden: the age sits under the status. */}
                    <div className="mt-1 whitespace-nowrap text-xs text-slate-500 sm:hidden dark:text-slate-400" data-testid="age" title={incident.created_at}>{timeAgo(incident.created_at)}</div>
                  </td>
                  <td className="td hidden sm:table-cell">{incident.team ?? "—"}</td>
                  <td className="td hidden sm:table-cell">{incident.assignee ?? "—"}</td>
                  <td className="td hidden whitespace-nowrap sm:table-cell" title={incident.created_at}>{timeAgo(incident.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {data && (
        <Pager offset={filters.offset} limit={PAGE_SIZE} total={data.total} count={data.items.length} onChange={(offset) => update({ offset: String(offset) })} />
      )}
      {helpOpen && <ShortcutsDialog onClose={() => setHelpOpen(false)} />}
    </div>
  );
}
