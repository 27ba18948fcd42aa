import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import type { Heartbeat, MaintenanceWindow, Silence } from "../api/types";
import { SuppressionBanner } from "../components/SuppressionBanner";
import { fakeApi, signIn } from "../test/fakeApi";
import { commaList } from "./MaintenanceSection";
import { matcherLines } from "./SilencesSection";
import { SilencesPage } from "./SilencesPage";

afterEach(() => vi.unstubAllGlobals());

const SILENCE: Silence = {
  id: "s1", matchers: ['service="checkout"', 'severity=~"low|medium"'], starts_at: "2026-02-09T15:00:00Z",
  ends_at: "2026-02-09T17:00:00Z", created_by: "alice", comment: "deploy v2", created_at: "2026-02-09T15:00:00Z",
  updated_at: "2026-02-09T15:00:00Z", expired_by: null, status: "active",
};
const WINDOW: MaintenanceWindow = {
  id: "w1", name: "db patching", services: ["orders-db"], teams: ["dba"], starts_at: "2026-03-28T00:30:00Z",
  ends_at: "2026-03-28T02:30:00Z", recurrence: "weekly", time_zone: "Europe/Berlin", repeat_until: null,
  created_by: "admin", created_at: "2026-02-09T15:00:00Z", updated_at: "2026-02-09T15:00:00Z", status: "pending",
  next_start: "2026-03-28T00:30:00Z", next_end: "2026-03-28T02:30:00Z",
};
const HEARTBEAT: Heartbeat = {
  id: "h1", name: "nightly-backup", team: "platform", service: "nightly-backup", severity: "high",
  interval_seconds: 86400, grace_seconds: 3600, state: "down",
  ping_url: "https://nightwatch.example/api/v1/heartbeats/ping/nwh_secretsecretsecret", deadline_at: "2026-02-10T16:00:00Z",
  last_ping_at: null, last_missed_at: "2026-02-10T16:00:05Z", created_at: "2026-02-09T15:00:00Z", updated_at: "2026-02-09T15:00:00Z",
};

function renderIn(node: JSX.Element) {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE}>{node}</MemoryRouter>
    </AuthProvider>,
  );
}

function routes(extra: Record<string, (body: unknown, url: URL) => { status?: number; body?: unknown }> = {}) {
  return fakeApi({
    "GET /api/v1/silences": () => ({ body: { items: [SILENCE], total: 1 } }),
    "GET /api/v1/maintenance-windows": () => ({ body: { items: [WINDOW], total: 1 } }),
    "GET /api/v1/heartbeats": () => ({ body: { items: [HEARTBEAT], total: 1 } }),
    ...extra,
  });
}

it("a responder lists active silences, silences from matcher lines, sees a 422 and expires one", async () => {
  signIn("responder");
  let refuse = true;
  const { calls } = routes({
    "POST /api/v1/silences": () =>
      refuse
        ? { status: 422, body: { error: { code: "validation_error", message: "Invalid request: body.matchers.0: invalid matcher 'service=~\"(\"'" } } }
        : { status: 201, body: SILENCE },
    "POST /api/v1/silences/s1/expire": () => ({ body: { ...SILENCE, status: "expired" } }),
  });
  renderIn(<SilencesPage />);
  const [row] = await screen.findAllByTestId("silence-row");
  expect(row).toHaveTextContent('service="checkout"');
  expect(row).toHaveTextContent("deploy v2");
  expect(screen.queryByRole("form", { name: "New maintenance window" })).toBeNull();
  expect(screen.queryByRole("region", { name: "Heartbeats" })).toBeNull();

  const form = screen.getByRole("form", { name: "New silence" });
  await userEvent.type(within(form).getByLabelText("Matchers (one a line)"), 'service=~"("');
  await userEvent.type(within(form).getByLabelText("Comment"), "noisy");
  await userEvent.click(within(form).getByRole("button", { name: "Silence" }));
  expect(await screen.findByText(/invalid matcher/)).toBeInTheDocument();

  refuse = false;
  await userEvent.clear(within(form).getByLabelText("Matchers (one a line)"));
  await userEvent.type(within(form).getByLabelText("Matchers (one a line)"), 'service="checkout"{enter}{enter}env!="dev"');
  await userEvent.type(within(form).getByLabelText("Comment"), "!");
  await userEvent.click(within(form).getByRole("button", { name: "Silence" }));
  const posted = calls.filter((c) => c.method === "POST" && c.path === "/api/v1/silences").at(-1)?.body as { matchers: string[]; comment: string; ends_at: string };
  expect(posted.matchers).toEqual(['service="checkout"', 'env!="dev"']);
  expect(posted.comment).toBe("noisy!");
  expect(Date.parse(posted.ends_at)).toBeGreaterThan(Date.now());

  await userEvent.click(within(row).getByRole("button", { name: "Expire" }));
  expect(calls.some((c) => c.method === "POST" && c.path === "/api/v1/silences/s1/expire")).toBe(true);
});

it("an admin schedules a weekly window and sees heartbeats with their ping URLs", async () => {
  signIn("admin");
  const { calls } = routes({
    "POST /api/v1/maintenance-windows": () => ({ status: 201, body: WINDOW }),
    "POST /api/v1/heartbeats": () => ({ status: 201, body: HEARTBEAT }),
  });
  renderIn(<SilencesPage />);
  const [windowRow] = await screen.findAllByTestId("window-row");
  expect(windowRow).toHaveTextContent("orders-db, team dba");
  expect(windowRow).toHaveTextContent("weekly (Europe/Berlin)");
  const [heartbeatRow] = await screen.findAllByTestId("heartbeat-row");
  expect(heartbeatRow).toHaveTextContent("down");
  expect(heartbeatRow).toHaveTextContent("/api/v1/heartbeats/ping/nwh_secretsecretsecret");

  const form = screen.getByRole("form", { name: "New maintenance window" });
  await userEvent.type(within(form).getByLabelText("Window name"), "patching");
  await userEvent.type(within(form).getByLabelText("Services (comma-separated)"), "orders-db, orders-api");
  await userEvent.type(within(form).getByLabelText("Starts"), "2026-03-28T01:30");
  await userEvent.type(within(form).getByLabelText("Ends"), "2026-03-28T03:30");
  await userEvent.click(within(form).getByLabelText("Every week"));
  await userEvent.clear(within(form).getByLabelText("Time zone"));
  await userEvent.type(within(form).getByLabelText("Time zone"), "Europe/Berlin");
  await userEvent.click(within(form).getByRole("button", { name: "Schedule window" }));
  const window = calls.find((c) => c.method === "POST" && c.path === "/api/v1/maintenance-windows")?.body as Record<string, unknown>;
  expect(window).toMatchObject({ name: "patching", services: ["orders-db", "orders-api"], teams: [], recurrence: "weekly", time_zone: "Europe/Berlin" });
  expect(window.starts_at).toBe("2026-03-28T00:30:00.000Z"); // 01:30 in Berlin (CET), whatever the browser's zone

  const heartbeatForm = screen.getByRole("form", { name: "New heartbeat" });
  await userEvent.type(within(heartbeatForm).getByLabelText("Heartbeat name"), "cron");
  await userEvent.type(within(heartbeatForm).getByLabelText("Team"), "platform");
  await userEvent.click(within(heartbeatForm).getByRole("button", { name: "Create heartbeat" }));
  expect(calls.find((c) => c.method === "POST" && c.path === "/api/v1/heartbeats")?.body).toEqual({
    name: "cron", team: "platform", severity: "high", interval_seconds: 3600, grace_seconds: 300,
  });
});

it("the dashboard banner counts active silences and windows", async () => {
  signIn("viewer");
  routes({ "GET /api/v1/maintenance-windows": () => ({ body: { items: [{ ...WINDOW, status: "active" }], total: 1 } }) });
  renderIn(<SuppressionBanner />);
  expect(await screen.findByTestId("suppression-banner")).toHaveTextContent("1 silence and 1 maintenance window active");
});

it("splits matcher lines and comma lists", () => {
  expect(matcherLines(' a="1" \n\n b!~"x"\n')).toEqual(['a="1"', 'b!~"x"']);
  expect(commaList(" a, b ,, c ")).toEqual(["a", "b", "c"]);
});
