import { Bar, BarChart, CartesianGrid, Cell, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Link, useSearchParams } from "react-router-dom";
import type { GroupStatsPage } from "../api/types";
import { Empty, ErrorBanner, Loading, PageHeader, SEVERITY_COLOR } from "../components/ui";
import { formatDuration } from "../format";
import { SuppressionBanner } from "../components/SuppressionBanner";
import { useApiQuery } from "../hooks";
import { useLive } from "../live/LiveContext";
import { chartPoints, loadDashboard, openBreakdown, RANGES, rangeFor } from "./dashboard";

const REFRESH_MS = 10_000;

function Stat({ label, value, sub, testId }: { label: string; value: string; sub?: string; testId?: string }) {
  return (
    <div className="card">
      <div className="text-xs uppercase text-slate-500 dark:text-slate-400">{label}</div>
      <div className="text-2xl font-semibold" data-testid={testId}>{value}</div>
      {sub && <div className="text-xs text-slate-500 dark:text-slate-400" data-testid={testId && `${testId}-sub`}>{sub}</div>}
    </div>
  );
}

function ChartCard({ title, total, testId, empty, children }: { title: string; total?: number; testId?: string; empty?: string; children: React.ReactElement }) {
  return (
    <section className="card" aria-label={title}>
      <h2 className="mb-2 flex justify-between text-sm font-semibold">
        <span>{title}</span>
        {total !== undefined && <span className="font-normal text-slate-500 dark:text-slate-400">total <span data-testid={testId}>{total}</span></span>}
      </h2>
      <div className="h-56">
        {empty ? <Empty>{empty}</Empty> : <ResponsiveContainer width="100%" height="100%">{children}</ResponsiveContainer>}
      </div>
    </section>
  );
}

function RangePicker({ value, onChange }: { value: string; onChange: (key: string) => void }) {
  return (
    <div role="group" aria-label="Time range" className="inline-flex overflow-hidden rounded-md border border-slate-300 dark:border-slate-600">
      {RANGES.map((range) => (
        <button
          key={range.key}
          type="button"
          aria-pressed={range.key === value}
          onClick={() => onChange(range.key)}
          className={`px-3 py-1.5 text-sm ${range.key === value ? "bg-sky-600 text-white" : "bg-white text-slate-800 hover:bg-slate-100 dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700"}`}
        >
          {range.label}
        </button>
      ))}
    </div>
  );
}

function GroupTable({ title, page }: { title: string; page: GroupStatsPage }) {
  const noun = page.by === "team" ? "teams" : "services";
  return (
    <section className="card relative overflow-x-auto" aria-label={title}>
      <h2 className="mb-2 text-sm font-semibold">
        {title} <span className="font-normal text-slate-500 dark:text-slate-400">({page.items.length} of {page.groups} {noun})</span>
      </h2>
      {page.items.length === 0 ? (
        <Empty>No incidents in this range.</Empty>
      ) : (
        <table className="w-full whitespace-nowrap text-sm">
          <thead className="text-left text-xs uppercase text-slate-500 dark:text-slate-400">
            <tr>
              <th className="py-1 pr-2">{page.by}</th>
              <th className="pr-2 text-right">incidents</th>
              <th className="pr-2 text-right">open</th>
              <th className="pr-2 text-right">MTTA mean</th>
              <th className="pr-2 text-right">p50</th>
              <th className="pr-2 text-right">p90</th>
              <th className="pr-2 text-right">MTTR mean</th>
              <th className="pr-2 text-right">p50</th>
              <th className="text-right">p90</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((group) => (
              <tr key={group.name ?? ""} data-testid={`${page.by}-row`} className="border-t border-slate-100 dark:border-slate-800">
                <td className="py-1 pr-2 font-medium">{group.name ?? <span className="italic text-slate-500">no {page.by}</span>}</td>
                <td className="pr-2 text-right">{group.total}</td>
                <td className="pr-2 text-right">{group.open}</td>
                <td className="pr-2 text-right">{formatDuration(group.mtta.mean_seconds)}</td>
                <td className="pr-2 text-right">{formatDuration(group.mtta.p50_seconds)}</td>
                <td className="pr-2 text-right">{formatDuration(group.mtta.p90_seconds)}</td>
                <td className="pr-2 text-right">{formatDuration(group.mttr.mean_seconds)}</td>
                <td className="pr-2 text-right">{formatDuration(group.mttr.p50_seconds)}</td>
                <td className="text-right">{formatDuration(group.mttr.p90_seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function DashboardPage() {
  const [params, setParams] = useSearchParams();
  const range = rangeFor(params.get("range"));
  // Pushed changes refresh it (LiveContext, at most every 5 s); polled only while the stream is down.
  const live = useLive();
  const loaded = useApiQuery(["dashboard", range.key], () => loadDashboard(range), { pollMs: live.mode === "live" ? null : REFRESH_MS });
  const d = loaded.data;
  const open = d ? openBreakdown(d.current) : null;
  const per = range.bucket;

  return (
    <div className="space-y-4">
      <PageHeader title="Dashboard">
        <RangePicker value={range.key} onChange={(key) => setParams((current) => ({ ...Object.fromEntries(current), range: key }))} />
        <Link to="/incidents" className="btn-secondary">Open incidents →</Link>
      </PageHeader>
      <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
      <SuppressionBanner />
      {loaded.loading && !d ? <Loading what="Loading the numbers" /> : null}
      {d && d.current.nobody_paged > 0 && (
        <div role="alert" className="rounded-md border-2 border-rose-500 bg-rose-50 px-3 py-2 text-sm font-semibold text-rose-900 dark:bg-rose-950 dark:text-rose-100">
          <Link to="/incidents?page_state=nobody_paged" className="hover:underline">
            {d.current.nobody_paged} open {d.current.nobody_paged === 1 ? "incident" : "incidents"} paged nobody →
          </Link>
        </div>
      )}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-6">
        <Stat label="Open incidents (now)" value={open ? String(open.total) : "—"} testId="open-count" sub={open?.text} />
        <Stat label="Paged nobody (now)" value={d ? String(d.current.nobody_paged) : "—"} testId="nobody-paged-count" sub="open incidents whose escalation paged nobody" />
        <Stat label={`MTTA (mean, ${range.label})`} value={formatDuration(d?.inRange.mtta.mean_seconds)} sub={`p50 ${formatDuration(d?.inRange.mtta.p50_seconds)} · p90 ${formatDuration(d?.inRange.mtta.p90_seconds)}`} testId="dashboard-mtta" />
        <Stat label={`MTTR (mean, ${range.label})`} value={formatDuration(d?.inRange.mttr.mean_seconds)} sub={`p50 ${formatDuration(d?.inRange.mttr.p50_seconds)} · p90 ${formatDuration(d?.inRange.mttr.p90_seconds)}`} testId="dashboard-mttr" />
        <Stat label={`Incidents (${range.label})`} value={d ? String(d.inRange.total) : "—"} sub={d ? `${d.inRange.by_status.resolved} resolved` : undefined} testId="range-incidents" />
        <Stat label={`Alerts (${range.label})`} value={d ? String(d.alerts.total) : "—"} sub={d ? `from ${d.noisy.services} services` : undefined} testId="range-alerts" />
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <ChartCard title="Open incidents by severity">
          <BarChart data={open?.bySeverity ?? []}>
            <CartesianGrid strokeDasharray="3 3" stroke="#64748b33" />
            <XAxis dataKey="severity" stroke="#94a3b8" />
            <YAxis allowDecimals={false} stroke="#94a3b8" />
            <Tooltip />
            <Bar dataKey="count" name="open" isAnimationActive={false}>
              {(open?.bySeverity ?? []).map((entry) => (
                <Cell key={entry.severity} fill={SEVERITY_COLOR[entry.severity]} />
              ))}
            </Bar>
          </BarChart>
        </ChartCard>
        <ChartCard title={`Top noisy services (alerts, ${range.label})`} empty={d && d.noisy.items.length === 0 ? "No alerts in this range." : undefined}>
          <BarChart data={d?.noisy.items ?? []} layout="vertical" margin={{ left: 40 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#64748b33" />
            <XAxis type="number" allowDecimals={false} stroke="#94a3b8" />
            <YAxis type="category" dataKey="name" stroke="#94a3b8" width={110} />
            <Tooltip />
            <Bar dataKey="count" name="alerts" fill="#0ea5e9" isAnimationActive={false} />
          </BarChart>
        </ChartCard>
        <ChartCard title={`Alerts per ${per} (${range.label})`} total={d?.alerts.total} testId="alerts-total">
          <LineChart data={d ? chartPoints(d.alerts, range) : []}>
            <CartesianGrid strokeDasharray="3 3" stroke="#64748b33" />
            <XAxis dataKey="label" stroke="#94a3b8" minTickGap={24} />
            <YAxis allowDecimals={false} stroke="#94a3b8" />
            <Tooltip />
            <Line type="monotone" dataKey="count" name="alerts" stroke="#0ea5e9" dot={false} isAnimationActive={false} />
          </LineChart>
        </ChartCard>
        <ChartCard title={`Incidents per ${per} (${range.label})`} total={d?.incidents.total} testId="incidents-total">
          <LineChart data={d ? chartPoints(d.incidents, range) : []}>
            <CartesianGrid strokeDasharray="3 3" stroke="#64748b33" />
            <XAxis dataKey="label" stroke="#94a3b8" minTickGap={24} />
            <YAxis allowDecimals={false} stroke="#94a3b8" />
            <Tooltip />
            <Line type="monotone" dataKey="count" name="incidents" stroke="#e11d48" dot={false} isAnimationActive={false} />
          </LineChart>
        </ChartCard>
      </div>
      {d && (
        <div className="grid gap-4">
          <GroupTable title={`MTTA / MTTR per team (${range.label})`} page={d.teams} />
          <GroupTable title={`MTTA / MTTR per service (${range.label})`} page={d.services} />
        </div>
      )}
    </div>
  );
}
