import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { type BulkResult, type Incident, type IncidentStatus } from "../api/types";
import { ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import { LiveProvider } from "../live/LiveContext";
import { fakeApi, SERVER_TRANSITIONS, signIn } from "../test/fakeApi";
import { IncidentsPage } from "./IncidentsPage";

afterEach(() => vi.unstubAllGlobals());

function incident(id: string, title: string, status: IncidentStatus = "open"): Incident {
  return {
    id, title, service: "checkout", severity: "high", status, description: "", team: "web", updated_at: "2026-01-01T10:00:00Z",
    acknowledged_by: null, resolved_by: null, alert_count: 1, duplicate_count: 0, allowed_transitions: SERVER_TRANSITIONS[status], assignee: null,
    created_at: "2026-01-01T10:00:00Z", acknowledged_at: null, resolved_at: null, mtta_seconds: null, mttr_seconds: null,
    page_state: "paged",
  };
}

const ROWS = [incident("i-1", "Disk full"), incident("i-2", "Queue lag"), incident("i-3", "Old one", "resolved")];

function page(items: Incident[]) {
  return { body: { items, total: items.length, limit: 25, offset: 0 } };
}

function renderList(entry = "/incidents") {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE} initialEntries={[entry]}>
        <LiveProvider enabled>
          <Routes>
            <Route path="/incidents" element={<IncidentsPage />} />
            <Route path="/incidents/:id" element={<p>detail page</p>} />
          </Routes>
        </LiveProvider>
      </MemoryRouter>
    </AuthProvider>,
  );
}

function bulkAnswer(body: unknown): { body: BulkResult } {
  const { action, incident_ids } = body as { action: "acknowledge" | "resolve"; incident_ids: string[] };
  const results = incident_ids.map((id) =>
    id === "i-3"
      ? { incident_id: id, status: 409 as const, result: "invalid_transition" as const, message: "no", current_status: "resolved" as const, allowed_transitions: [], incident: null }
      : { incident_id: id, status: 200 as const, result: "ok" as const, message: "ok", current_status: null, allowed_transitions: [], incident: { ...incident(id, id), status: "acknowledged" as const } },
  );
  const ok = results.filter((r) => r.status === 200).length;
  return { body: { action, ok, failed: results.length - ok, results } };
}

it("acknowledges the selected incidents in one request and says what happened to each", async () => {
  signIn("responder");
  const { calls } = fakeApi({ "GET /api/v1/incidents": () => page(ROWS), "POST /api/v1/incidents/bulk": bulkAnswer });
  renderList();
  await userEvent.click(await screen.findByRole("checkbox", { name: "Select Disk full" }));
  await userEvent.click(screen.getByRole("checkbox", { name: "Select Old one" }));
  const bar = screen.getByRole("region", { name: "Selected incidents" });
  expect(within(bar).getByTestId("selected-count")).toHaveTextContent("2 selected");
  await userEvent.click(within(bar).getByRole("button", { name: "Acknowledge selected" }));
  const outcome = await screen.findByTestId("bulk-outcome");
  expect(outcome).toHaveTextContent("1 acknowledged, 1 not allowed");
  expect(outcome).toHaveTextContent("Old one: already resolved; allowed next: nothing (resolved is final)");
  const posts = calls.filter((c) => c.method === "POST");
  expect(posts).toEqual([expect.objectContaining({ path: "/api/v1/incidents/bulk", body: { action: "acknowledge", incident_ids: ["i-1", "i-3"] } })]);
  expect(screen.queryByRole("region", { name: "Selected incidents" })).toBeNull();
});

it("moves with j/k, acknowledges with a, resolves with r, searches with / and lists the keys with ?", async () => {
  signIn("responder");
  const { calls } = fakeApi({ "GET /api/v1/incidents": () => page(ROWS), "POST /api/v1/incidents/bulk": bulkAnswer });
  renderList();
  await screen.findByText("Disk full");
  await userEvent.keyboard("jjk");
  expect(screen.getByText("Disk full").closest("tr")).toHaveAttribute("aria-current", "true");
  await userEvent.keyboard("a");
  await screen.findByTestId("bulk-outcome");
  await userEvent.keyboard("jr");
  await waitFor(() => expect(calls.filter((c) => c.method === "POST")).toHaveLength(2));
  expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
    { action: "acknowledge", incident_ids: ["i-1"] },
    { action: "resolve", incident_ids: ["i-2"] },
  ]);
  await userEvent.keyboard("/");
  const search = screen.getByRole("searchbox", { name: "Search" });
  expect(search).toHaveFocus();
  await userEvent.keyboard("cluster=eu{Enter}");
  await waitFor(() => expect(calls.some((c) => c.method === "GET" && c.path === "/api/v1/incidents" && c.query.get("q") === "cluster=eu")).toBe(true));
  await userEvent.keyboard("a"); // typing in the box: no action
  expect(calls.filter((c) => c.method === "POST")).toHaveLength(2);
  await userEvent.keyboard("{Escape}?");
  expect(screen.getByRole("dialog", { name: "Keyboard shortcuts" })).toHaveTextContent("Acknowledge the selected incidents");
  await userEvent.keyboard("{Escape}");
  expect(screen.queryByRole("dialog")).toBeNull();
});

it("sends the service box as a partial match", async () => {
  signIn("viewer");
  const { calls } = fakeApi({ "GET /api/v1/incidents": () => page(ROWS) });
  renderList("/incidents?service=check");
  await screen.findByText("Disk full");
  const list = calls.find((c) => c.path === "/api/v1/incidents" && c.query.get("limit") === "25");
  expect(list?.query.get("service_contains")).toBe("check");
  expect(list?.query.has("service")).toBe(false);
  expect(screen.queryByRole("checkbox", { name: "Select Disk full" })).toBeNull(); // a viewer cannot act
});

it("reloads on a pushed change, shows the open count in the tab title, and stays still while paused", async () => {
  signIn("responder");
  let rows = ROWS.slice(0, 1);
  let openCount = 7;
  let push: (text: string) => void = () => undefined;
  const { calls } = fakeApi({ "GET /api/v1/incidents": (_body, url) => (url.searchParams.get("limit") === "1" ? { body: { items: [], total: openCount, limit: 1, offset: 0 } } : page(rows)) });
  const jsonFetch = globalThis.fetch as unknown as (input: string | Request, init?: RequestInit) => Promise<Response>;
  vi.stubGlobal("fetch", (input: string | Request, init?: RequestInit) => {
    if (typeof input !== "string" || !input.startsWith("/api/v1/incidents/events")) return jsonFetch(input, init);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(new TextEncoder().encode(text));
      },
    });
    return Promise.resolve(new Response(stream, { headers: { "Content-Type": "text/event-stream" } }));
  });
  renderList();
  await screen.findByText("Disk full");
  act(() => push('event: ready\ndata: {}\n\n'));
  await waitFor(() => expect(screen.getByTestId("live-mode")).toHaveAttribute("data-mode", "live"));
  await waitFor(() => expect(document.title).toBe("(7) Nightwatch"));
  rows = ROWS.slice(0, 2);
  act(() => push("event: incidents\ndata: {}\n\n"));
  expect(await screen.findByText("Queue lag")).toBeInTheDocument();

  await userEvent.click(screen.getByRole("button", { name: "Pause" }));
  expect(screen.getByTestId("live-mode")).toHaveAttribute("data-mode", "paused");
  rows = ROWS;
  openCount = 8;
  const listCalls = () => calls.filter((c) => c.path === "/api/v1/incidents" && c.query.get("limit") === "25").length;
  const before = listCalls();
  const version = Number(screen.getByTestId("live-mode").dataset.version);
  act(() => push("event: incidents\ndata: {}\n\n"));
  await waitFor(() => expect(Number(screen.getByTestId("live-mode").dataset.version)).toBeGreaterThan(version));
  expect(screen.queryByText("Old one")).toBeNull();
  expect(listCalls()).toBe(before);
  await waitFor(() => expect(document.title).toBe("(8) Nightwatch")); // the title still follows
  await userEvent.click(screen.getByRole("button", { name: "Resume" }));
  expect(await screen.findByText("Old one")).toBeInTheDocument();
});
