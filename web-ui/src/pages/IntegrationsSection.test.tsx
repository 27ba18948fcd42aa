import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import type { Integration } from "../api/types";
import { fakeApi, signIn } from "../test/fakeApi";
import { alertLinks } from "./AlertsPage";
import { IntegrationsSection } from "./IntegrationsSection";

afterEach(() => vi.unstubAllGlobals());

const URL_AM = "https://nightwatch.example/api/v1/integrations/alertmanager";
const EXISTING: Integration = {
  id: "i1", type: "alertmanager", name: "prod-am", default_service: "platform", default_team: null,
  severity_mapping: {}, default_severity: "medium", auto_resolve: true, key_prefix: "nwi_0123456789ab",
  inbound_url: URL_AM, snippet: "receivers: <key>", created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z", key_rotated_at: null, last_event_at: "2026-01-02T10:00:00Z",
  event_counts: { accepted: 12, resolved: 3 },
};

function renderSection() {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE}>
        <IntegrationsSection />
      </MemoryRouter>
    </AuthProvider>,
  );
}

it("lists integrations with their last event and counts, creates one and shows its key, URL and snippet once", async () => {
  signIn("admin", "admin");
  const writeText = vi.fn(async () => undefined);
  vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
  const created = {
    ...EXISTING, id: "i2", type: "pagerduty" as const, name: "datadog", inbound_url: "https://nightwatch.example/api/v1/integrations/pagerduty",
    key: "nwi_aaaaaaaaaaaa_secret-shown-once", snippet: "routing_key: nwi_aaaaaaaaaaaa_secret-shown-once",
    last_event_at: null, event_counts: {},
  };
  let items: Integration[] = [EXISTING];
  const { calls } = fakeApi({
    "GET /api/v1/integrations": () => ({ body: { items, total: items.length } }),
    "POST /api/v1/integrations": () => {
      items = [EXISTING, created];
      return { status: 201, body: created };
    },
  });
  renderSection();
  const [row] = await screen.findAllByTestId("integration-row");
  expect(row).toHaveTextContent("prod-am");
  expect(row).toHaveTextContent(URL_AM);
  expect(row).toHaveTextContent("12 accepted, 3 resolved");

  const form = screen.getByRole("form", { name: "New integration" });
  await userEvent.selectOptions(within(form).getByLabelText("Type"), "pagerduty");
  await userEvent.type(within(form).getByLabelText("Integration name"), "datadog");
  await userEvent.type(within(form).getByLabelText("Default service"), "db");
  await userEvent.click(within(form).getByRole("button", { name: "Create integration" }));
  expect(await screen.findByTestId("integration-key")).toHaveTextContent("nwi_aaaaaaaaaaaa_secret-shown-once");
  expect(screen.getByTestId("integration-snippet")).toHaveTextContent("routing_key: nwi_aaaaaaaaaaaa_secret-shown-once");
  expect(calls.find((c) => c.method === "POST")?.body).toEqual({
    type: "pagerduty", name: "datadog", default_service: "db", default_team: null, default_severity: "medium", auto_resolve: true,
  });
  await userEvent.click(screen.getByRole("button", { name: "Copy key" }));
  expect(writeText).toHaveBeenCalledWith("nwi_aaaaaaaaaaaa_secret-shown-once");
  expect(await screen.findAllByTestId("integration-row")).toHaveLength(2);
});

it("keeps only http(s) links of an alert's source", () => {
  expect(
    alertLinks({
      generator_url: "http://prometheus:9090/graph",
      runbook_url: "javascript:alert(1)",
      dashboard_url: "https://grafana.example/d/1",
      links: [{ href: "https://dash.example", text: "Dashboard" }, { href: "data:x" }],
    }),
  ).toEqual([
    { href: "http://prometheus:9090/graph", text: "source" },
    { href: "https://grafana.example/d/1", text: "dashboard" },
    { href: "https://dash.example", text: "Dashboard" },
  ]);
  expect(alertLinks(null)).toEqual([]);
});
