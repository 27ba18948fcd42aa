import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import type { RoutingRule, RoutingRuleList } from "../api/types";
import { fakeApi, signIn } from "../test/fakeApi";
import { parseLabels } from "./labels";
import { RoutingPage } from "./RoutingPage";

afterEach(() => vi.unstubAllGlobals());

const RULE = (id: string, name: string, extra: Partial<RoutingRule> = {}): RoutingRule => ({
  id, position: 0, name, matchers: ['service=~"pay-.*"'], set_team: "payments", set_severity: null,
  add_labels: {}, suppress: false, continue: false, created_by: "admin", created_at: "2026-02-09T15:00:00Z",
  updated_by: "admin", updated_at: "2026-02-09T15:00:00Z", ...extra,
});
const LIST = (items: RoutingRule[], extra: Partial<RoutingRuleList> = {}): RoutingRuleList => ({
  items, total: items.length, unrouted_last_day: 0,
  catch_all: { team: "ops", exists: true, updated_by: "admin", updated_at: "2026-02-09T15:00:00Z" }, ...extra,
});

function renderPage() {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE}><RoutingPage /></MemoryRouter>
    </AuthProvider>,
  );
}

it("an admin sees the rules in order, moves one, adds one (a 422 names the team) and tries an alert", async () => {
  signIn("admin");
  const rules = [RULE("r1", "payments"), RULE("r2", "tag prod", { matchers: ['env="prod"'], set_team: null, add_labels: { tier: "1" }, continue: true })];
  let refuse = true;
  const { calls } = fakeApi({
    "GET /api/v1/routing-rules": () => ({ body: LIST(rules) }),
    "PUT /api/v1/routing-rules/order": () => ({ body: LIST([rules[1], rules[0]]) }),
    "POST /api/v1/routing-rules": () =>
      refuse
        ? { status: 422, body: { error: { code: "validation_error", message: "Invalid request: body.set_team: team 'nope' does not exist in on-call" } } }
        : { status: 201, body: RULE("r3", "search") },
    "POST /api/v1/routing-rules/test": () => ({
      body: {
        matched: [{ id: "r2", name: "tag prod" }, { id: "r1", name: "payments" }], rule: { id: "r2", name: "tag prod" },
        team: "payments", routed_by: "payments", unrouted: false, severity: "high",
        labels: { env: "prod", tier: "1" }, suppressed: false, suppressed_by: null,
      },
    }),
  });
  renderPage();
  const rows = await screen.findAllByTestId("routing-rule-row");
  expect(rows.map((r) => within(r).getAllByRole("cell")[1].textContent)).toEqual(["payments", "tag prod"]);
  expect(rows[0]).toHaveTextContent("team → payments");
  expect(rows[1]).toHaveTextContent("+ tier=1");
  expect(screen.queryByTestId("unrouted-banner")).toBeNull();

  await userEvent.click(screen.getByRole("button", { name: "Move tag prod up" }));
  expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ ids: ["r2", "r1"] });

  const form = screen.getByRole("form", { name: "New routing rule" });
  await userEvent.type(within(form).getByLabelText("Name"), "search");
  await userEvent.type(within(form).getByLabelText("Matchers (one a line)"), 'service="search"{enter}{enter}env!="dev"');
  await userEvent.type(within(form).getByLabelText("Set team"), "nope");
  await userEvent.click(within(form).getByLabelText("Continue"));
  await userEvent.click(within(form).getByRole("button", { name: "Add rule" }));
  expect(await screen.findByText(/team 'nope' does not exist/)).toBeInTheDocument();
  const posted = calls.filter((c) => c.method === "POST" && c.path === "/api/v1/routing-rules").at(-1)?.body;
  expect(posted).toMatchObject({ name: "search", matchers: ['service="search"', 'env!="dev"'], set_team: "nope", continue: true, suppress: false, set_severity: null });
  refuse = false;
  await userEvent.click(within(form).getByRole("button", { name: "Add rule" }));
  expect(calls.filter((c) => c.method === "POST" && c.path === "/api/v1/routing-rules")).toHaveLength(2);

  const box = screen.getByRole("form", { name: "Sample alert" });
  await userEvent.type(within(box).getByLabelText("Service"), "pay-api");
  await userEvent.type(within(box).getByLabelText("Labels (name=value, one a line)"), "env=prod");
  await userEvent.click(within(box).getByRole("button", { name: "Route it" }));
  const outcome = await screen.findByTestId("routing-outcome");
  expect(outcome).toHaveTextContent("tag prod → payments");
  expect(outcome).toHaveTextContent("env=prod, tier=1");
  const tried = calls.find((c) => c.path === "/api/v1/routing-rules/test")?.body;
  expect(tried).toEqual({ alert: { service: "pay-api", severity: "high", message: "", labels: { env: "prod" } }, integration_team: null });
});

it("a viewer sees what routes nowhere, and no editing", async () => {
  signIn("viewer");
  fakeApi({
    "GET /api/v1/routing-rules": () => ({
      body: LIST([RULE("r1", "payments")], { unrouted_last_day: 3, catch_all: { team: "gone", exists: false, updated_by: null, updated_at: null } }),
    }),
  });
  renderPage();
  const banner = await screen.findByTestId("unrouted-banner");
  expect(banner).toHaveTextContent('The catch-all team "gone" does not exist in on-call');
  expect(banner).toHaveTextContent("3 alerts routed nowhere in the last 24 hours");
  expect(within(banner).getByRole("link", { name: "Show the unrouted incidents" })).toHaveAttribute("href", "/incidents?team=unrouted");
  expect(screen.queryByRole("form", { name: "New routing rule" })).toBeNull();
  expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
});

it("labels are name=value lines", () => {
  expect(parseLabels("env=prod\n\n tier = 1 \nurl=a=b")).toEqual({ env: "prod", tier: "1", url: "a=b" });
  expect(() => parseLabels("oops")).toThrow(/name=value/);
});
