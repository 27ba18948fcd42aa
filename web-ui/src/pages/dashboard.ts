// The dashboard's data: every figure is an aggregate computed by the services in SQL over all rows
// (no sample of the newest incidents or alerts is counted here). One load asks every route with
// the same range, so the cards, charts and tables of one refresh agree with each other.
import { alerts as alertsApi, incidents as incidentsApi } from "../api/endpoints";
import type { GroupStatsPage, Severity, StatsBucket, StatsSummary, TimeSeries, TopServices } from "../api/types";
import { SEVERITIES } from "../api/types";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface RangeChoice {
  key: string;
  label: string;
  ms: number;
  /** The bucket of the range's charts: at most a few hundred points (the API allows 1,440). */
  bucket: StatsBucket;
}

export const RANGES: RangeChoice[] = [
  { key: "1h", label: "1 h", ms: HOUR, bucket: "minute" },
  { key: "6h", label: "6 h", ms: 6 * HOUR, bucket: "minute" },
  { key: "24h", label: "24 h", ms: DAY, bucket: "hour" },
  { key: "7d", label: "7 d", ms: 7 * DAY, bucket: "hour" },
  { key: "30d", label: "30 d", ms: 30 * DAY, bucket: "day" },
];
export const DEFAULT_RANGE = "24h";
/** Rows of the per-team and per-service tables (the API answers how many there are in all). */
export const GROUP_ROWS = 10;
export const NOISY_SERVICES = 5;

export function rangeFor(key: string | null | undefined): RangeChoice {
  return RANGES.find((range) => range.key === key) ?? RANGES.find((range) => range.key === DEFAULT_RANGE)!;
}

export interface RangeQuery {
  since: string;
  until: string;
  bucket: StatsBucket;
}

export function rangeQuery(range: RangeChoice, now: number = Date.now()): RangeQuery {
  return { since: new Date(now - range.ms).toISOString(), until: new Date(now).toISOString(), bucket: range.bucket };
}

export interface DashboardData {
  query: RangeQuery;
  /** All time: what is unresolved now. */
  current: StatsSummary;
  /** Incidents created in the range: MTTA, MTTR, how many. */
  inRange: StatsSummary;
  incidents: TimeSeries;
  alerts: TimeSeries;
  noisy: TopServices;
  teams: GroupStatsPage;
  services: GroupStatsPage;
}

export async function loadDashboard(range: RangeChoice, now: number = Date.now()): Promise<DashboardData> {
  const query = rangeQuery(range, now);
  const window = { since: query.since, until: query.until };
  const [current, inRange, incidents, alerts, noisy, teams, services] = await Promise.all([
    incidentsApi.summary(),
    incidentsApi.summary(window),
    incidentsApi.timeseries(query),
    alertsApi.timeseries(query),
    alertsApi.topServices({ ...window, limit: NOISY_SERVICES }),
    incidentsApi.byGroup({ ...window, by: "team", limit: GROUP_ROWS }),
    incidentsApi.byGroup({ ...window, by: "service", limit: GROUP_ROWS }),
  ]);
  return { query, current, inRange, incidents, alerts, noisy, teams, services };
}

export interface OpenBreakdown {
  total: number;
  bySeverity: { severity: Severity; count: number }[];
  text: string;
}

/** The unresolved incidents by severity, as the summary counts them (every incident). */
export function openBreakdown(summary: StatsSummary): OpenBreakdown {
  const bySeverity = SEVERITIES.map((severity) => ({ severity, count: summary.open_by_severity[severity] ?? 0 }));
  return {
    total: bySeverity.reduce((sum, part) => sum + part.count, 0),
    bySeverity,
    text: bySeverity.map((part) => `${part.count} ${part.severity}`).join(" · "),
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A bucket's axis label: its UTC date for day buckets (they are UTC days), else local time,
 *  with the local date when the range spans more than a day. */
export function bucketLabel(start: string, bucket: StatsBucket, multiDay: boolean): string {
  const at = new Date(start);
  if (bucket === "day") return start.slice(0, 10);
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  return multiDay ? `${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}` : time;
}

export function chartPoints(series: TimeSeries, range: RangeChoice): { label: string; start: string; count: number }[] {
  return series.buckets.map((point) => ({
    label: bucketLabel(point.start, series.bucket, range.ms > DAY),
    start: point.start,
    count: point.count,
  }));
}
