import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import type { StatsSummary, TimeSeries } from "../api/types";
import { fakeApi, signIn } from "../test/fakeApi";
import { DashboardPage } from "./DashboardPage";
import { bucketLabel, chartPoints, openBreakdown, rangeFor, rangeQuery, RANGES } from "./dashboard";

afterEach(() => vi.unstubAllGlobals());
afterAll(() => vi.restoreAllMocks());

beforeAll(() => {
  // recharts' ResponsiveContainer measures its box; jsdom has no layout (and it says so, often).
  const warn = console.warn.bind(console);
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    if (!String(args[0]).includes("of chart should be greater than 0")) warn(...args);
  });
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});

const NO_DURATIONS = { count: 0, mean_seconds: null, p50_seconds: null, p90_seconds: null };

function summary(overrides: Partial<StatsSummary> = {}): StatsSummary {
  return {
    since: null,
    until: null,
    total: 2142,
    by_status: { open: 1900, acknowledged: 200, in_progress: 42, resolved: 0 },
    by_severity: { critical: 12, high: 1930, medium: 100, low: 100 },
    open_by_severity: { critical: 12, high: 1930, medium: 100, low: 100 },
    nobody_paged: 0,
    mtta: NO_DURATIONS,
    mttr: NO_DURATIONS,
    ...overrides,
  };
}

function series(bucket: "minute" | "hour" | "day", counts: number[]): TimeSeries {
  const start = Date.parse("2026-03-01T10:00:00Z");
  const step = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[bucket];
  return {
    since: "2026-03-01T10:00:00Z",
    until: "2026-03-02T10:00:00Z",
    bucket,
    total: counts.reduce((a, b) => a + b, 0),
    buckets: counts.map((count, i) => ({ start: new Date(start + i * step).toISOString(), count })),
  };
}

describe("dashboard logic", () => {
  it("asks for the chosen range ending now, with a bucket that suits it", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    expect(rangeQuery(rangeFor("1h"), now)).toEqual({ since: "2026-03-01T11:00:00.000Z", until: "2026-03-01T12:00:00.000Z", bucket: "minute" });
    expect(rangeQuery(rangeFor("30d"), now)).toEqual({ since: "2026-01-30T12:00:00.000Z", until: "2026-03-01T12:00:00.000Z", bucket: "day" });
    expect(rangeFor("nonsense").key).toBe("24h");
    // Never more buckets than the API's limit (1,440), even with both ends unaligned.
    const buckets = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
    for (const range of RANGES) expect(range.ms / buckets[range.bucket] + 1).toBeLessThanOrEqual(1440);
  });

  it("counts the open incidents from the summary's aggregate, every severity", () => {
    const open = openBreakdown(summary());
    expect(open.total).toBe(2142);
    expect(open.text).toBe("12 critical · 1930 high · 100 medium · 100 low");
  });

  it("labels buckets: UTC dates for days, local times otherwise", () => {
    expect(bucketLabel("2026-03-01T00:00:00Z", "day", true)).toBe("2026-03-01");
    const at = new Date("2026-03-01T10:05:00Z");
    const time = `${String(at.getHours()).padStart(2, "0")}:05`;
    expect(bucketLabel("2026-03-01T10:05:00Z", "minute", false)).toBe(time);
    expect(bucketLabel("2026-03-01T10:05:00Z", "hour", true)).toMatch(new RegExp(`^\\d\\d-\\d\\d ${time}$`));
    expect(chartPoints(series("hour", [1, 0, 3]), rangeFor("24h")).map((p) => p.count)).toEqual([1, 0, 3]);
  });
});

function renderDashboard(path = "/") {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE} initialEntries={[path]}>
        <DashboardPage />
      </MemoryRouter>
    </AuthProvider>,
  );
}

it("shows only the services' aggregates and asks again for the range picked", async () => {
  signIn("viewer");
  const asked: URL[] = [];
  const group = (by: string, name: string) => ({
    by,
    since: null,
    until: null,
    groups: 7,
    items: [{ name, total: 1500, open: 1400, mtta: { count: 100, mean_seconds: 90, p50_seconds: 60, p90_seconds: 300 }, mttr: NO_DURATIONS }],
  });
  const { calls } = fakeApi({
    "GET /api/v1/incidents/stats/summary": (_, url) => {
      asked.push(url);
      return { body: url.searchParams.has("since") ? summary({ total: 1500, mtta: { count: 100, mean_seconds: 90, p50_seconds: 60, p90_seconds: 300 } }) : summary() };
    },
    "GET /api/v1/incidents/stats/timeseries": (_, url) => {
      asked.push(url);
      return { body: series("hour", [700, 800]) };
    },
    "GET /api/v1/alerts/stats/timeseries": () => ({ body: series("hour", [5000, 4321]) }),
    "GET /api/v1/alerts/stats/top-services": () => ({ body: { since: null, until: null, total: 9321, services: 3, items: [{ name: "checkout", count: 9000 }] } }),
    "GET /api/v1/incidents/stats/by-group": (_, url) => ({ body: group(url.searchParams.get("by")!, url.searchParams.get("by") === "team" ? "payments" : "checkout") }),
  });
  renderDashboard();
  await waitFor(() => expect(screen.getByTestId("open-count")).toHaveTextContent("2142"));
  expect(screen.getByTestId("open-count-sub")).toHaveTextContent("12 critical · 1930 high · 100 medium · 100 low");
  expect(screen.getByTestId("dashboard-mtta")).toHaveTextContent("1m 30s");
  expect(screen.getByTestId("dashboard-mttr")).toHaveTextContent("—");
  expect(screen.getByTestId("range-incidents")).toHaveTextContent("1500");
  expect(screen.getByTestId("range-alerts")).toHaveTextContent("9321");
  expect(screen.getByTestId("alerts-total")).toHaveTextContent("9321");
  expect(screen.getByTestId("incidents-total")).toHaveTextContent("1500");
  const teams = screen.getByRole("region", { name: "MTTA / MTTR per team (24 h)" });
  expect(within(teams).getByText("(1 of 7 teams)")).toBeInTheDocument();
  expect(within(teams).getByTestId("team-row")).toHaveTextContent(/payments\s*1500\s*1400\s*1m 30s\s*1m 0s\s*5m 0s/);
  // Nothing is counted from a list of incidents or alerts.
  expect(calls.filter((c) => c.path === "/api/v1/incidents" || c.path === "/api/v1/alerts")).toEqual([]);
  const ranged = asked.find((url) => url.pathname.endsWith("/timeseries"))!;
  expect(ranged.searchParams.get("bucket")).toBe("hour");
  const span = Date.parse(ranged.searchParams.get("until")!) - Date.parse(ranged.searchParams.get("since")!);
  expect(span).toBe(24 * 3_600_000);

  asked.length = 0;
  await userEvent.click(screen.getByRole("button", { name: "7 d" }));
  expect(await screen.findByText("MTTA / MTTR per team (7 d)")).toBeInTheDocument();
  expect(screen.getByRole("button", { name: "7 d" })).toHaveAttribute("aria-pressed", "true");
  const week = asked.find((url) => url.pathname.endsWith("/timeseries"))!;
  expect(Date.parse(week.searchParams.get("until")!) - Date.parse(week.searchParams.get("since")!)).toBe(7 * 86_400_000);
  const weekSummary = asked.find((url) => url.pathname.endsWith("/summary") && url.searchParams.has("since"))!;
  expect(weekSummary.searchParams.get("since")).toBe(week.searchParams.get("since"));
});
