import { Bar, BarChart, CartesianGrid, Cell, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Link } from "react-router-dom";
import { alerts as alertsApi, incidents as incidentsApi } from "../api/endpoints";
import { SEVERITIES } from "../api/types";
import { Empty, ErrorBanner, Loading, PageHeader, SEVERITY_COLOR } from "../components/ui";
import { formatDuration } from "../format";
import { usePolling } from "../hooks";
import { hourlyBuckets, topCounts } from "./charts";

const HOURS = 24;
// The charts plot the newest alerts / incidents of the last day (the APIs' largest pages).
const ALERT_SAMPLE = 500;
const INCIDENT_SAMPLE = 200;

function Stat({ label, value, sub, testId }: { label: string; value: string; sub?: string; testId?: string }) {
  return (
    <div className="card">
      <div className="text-xs uppercase text-slate-500 dark:text-slate-400">{label}</div>
      <div className="text-2xl font-semibold" data-testid={testId}>{value}</div>
      {sub && <div className="text-xs text-slate-500 dark:text-slate-400">{sub}</div>}
    </div>
  );
}

function ChartCard({ title, empty, children }: { title: string; empty?: string; children: React.ReactElement }) {
  return (
    <section className="card" aria-label={title}>
      <h2 className="mb-2 text-sm font-semibold">{title}</h2>
      <div className="h-56">
        {empty ? <Empty>{empty}</Empty> : <ResponsiveContainer width="100%" height="100%">{children}</ResponsiveContainer>}
      </div>
    </section>
  );
}

export function DashboardPage() {
  const since = new Date(Date.now() - HOURS * 3_600_000).toISOString();
  const summary = usePolling(() => incidentsApi.summary(), [], 10_000);
  const openIncidents = usePolling(() => incidentsApi.list({ status: ["open", "acknowledged", "in_progress"], limit: INCIDENT_SAMPLE }), [], 10_000);
  const recentAlerts = usePolling(() => alertsApi.list({ since, limit: ALERT_SAMPLE }), [], 10_000);
  const recentIncidents = usePolling(() => incidentsApi.list({ status: ["open", "acknowledged", "in_progress", "resolved"], limit: INCIDENT_SAMPLE }), [], 10_000);

  const openBySeverity = SEVERITIES.map((severity) => ({
    severity,
    count: openIncidents.data?.items.filter((i) => i.severity === severity).length ?? 0,
  }));
  const alertTimes = recentAlerts.data?.items.map((a) => a.received_at ?? a.timestamp ?? "") ?? [];
  const incidentTimes = recentIncidents.data?.items.map((i) => i.created_at) ?? [];
  const noisy = topCounts(recentAlerts.data?.items.map((a) => a.service) ?? [], 5);
  const s = summary.data;
  const openTotal = openIncidents.data ? (openIncidents.data.total ?? openIncidents.data.items.length) : null;

  return (
    <div className="space-y-4">
      <PageHeader title="Dashboard">
        <Link to="/incidents" className="btn-secondary">Open incidents →</Link>
      </PageHeader>
      {[summary, openIncidents, recentAlerts, recentIncidents].map((part, index) => (
        <ErrorBanner key={index} error={part.error} onRetry={part.reload} />
      ))}
      {summary.loading && !s ? <Loading what="Loading the numbers" /> : null}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Open incidents" value={openTotal === null ? "—" : String(openTotal)} testId="open-count" sub={openBySeverity.map((x) => `${x.count} ${x.severity}`).join(" · ")} />
        <Stat label="MTTA (mean)" value={formatDuration(s?.mtta?.mean_seconds)} sub={`p90 ${formatDuration(s?.mtta?.p90_seconds)}`} testId="dashboard-mtta" />
        <Stat label="MTTR (mean)" value={formatDuration(s?.mttr?.mean_seconds)} sub={`p90 ${formatDuration(s?.mttr?.p90_seconds)}`} testId="dashboard-mttr" />
        <Stat label="Resolved" value={s?.by_status?.resolved !== undefined ? String(s.by_status.resolved) : "—"} sub="all time" />
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <ChartCard title="Open incidents by severity">
          <BarChart data={openBySeverity}>
            <CartesianGrid strokeDasharray="3 3" stroke="#64748b33" />
            <XAxis dataKey="severity" stroke="#94a3b8" />
            <YAxis allowDecimals={false} stroke="#94a3b8" />
            <Tooltip />
            <Bar dataKey="count" name="open" isAnimationActive={false}>
              {openBySeverity.map((entry) => (
                <Cell key={entry.severity} fill={SEVERITY_COLOR[entry.severity]} />
              ))}
            </Bar>
          </BarChart>
        </ChartCard>
        <ChartCard title="Top noisy services (alerts, last 24 h)" empty={recentAlerts.data && noisy.length === 0 ? "No alerts in the last 24 hours." : undefined}>
          <BarChart data={noisy} layout="vertical" margin={{ left: 40 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#64748b33" />
            <XAxis type="number" allowDecimals={false} stroke="#94a3b8" />
            <YAxis type="category" dataKey="name" stroke="#94a3b8" width={110} />
            <Tooltip />
            <Bar dataKey="count" name="alerts" fill="#0ea5e9" isAnimationActive={false} />
          </BarChart>
        </ChartCard>
        <ChartCard title="Alerts per hour (last 24 h)">
          <LineChart data={hourlyBuckets(alertTimes, HOURS)}>
            <CartesianGrid strokeDasharray="3 3" stroke="#64748b33" />
            <XAxis dataKey="hour" stroke="#94a3b8" />
            <YAxis allowDecimals={false} stroke="#94a3b8" />
            <Tooltip />
            <Line type="monotone" dataKey="count" name="alerts" stroke="#0ea5e9" dot={false} isAnimationActive={false} />
          </LineChart>
        </ChartCard>
        <ChartCard title="Incidents per hour (last 24 h)">
          <LineChart data={hourlyBuckets(incidentTimes, HOURS)}>
            <CartesianGrid strokeDasharray="3 3" stroke="#64748b33" />
            <XAxis dataKey="hour" stroke="#94a3b8" />
            <YAxis allowDecimals={false} stroke="#94a3b8" />
            <Tooltip />
            <Line type="monotone" dataKey="count" name="incidents" stroke="#e11d48" dot={false} isAnimationActive={false} />
          </LineChart>
        </ChartCard>
      </div>
    </div>
  );
}
