import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { type IncidentDetail, type IncidentStatus } from "../api/types";
import { ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import { fakeApi, SERVER_TRANSITIONS, signIn } from "../test/fakeApi";
import { IncidentDetailPage } from "./IncidentDetailPage";

afterEach(() => vi.unstubAllGlobals());

function incident(status: IncidentStatus, extra: Partial<IncidentDetail> = {}): IncidentDetail {
  return {
    id: "inc-1", title: "HTTP 5xx error rate > 10%", service: "frontend-api", severity: "high", status,
    description: "", team: "web", updated_at: "2026-01-01T10:00:00Z", acknowledged_by: null, resolved_by: null,
    alert_count: 0, duplicate_count: 0, page_state: "paged", alerts_source: "ingestion", allowed_transitions: SERVER_TRANSITIONS[status], assignee: null, created_at: "2026-01-01T10:00:00Z",
    acknowledged_at: null, resolved_at: null, mtta_seconds: null, mttr_seconds: null,
    alerts: [], notes: [], timeline: [], ...extra,
  };
}

function renderDetail() {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE} initialEntries={["/incidents/inc-1"]}>
        <Routes>
          <Route path="/incidents/:id" element={<IncidentDetailPage />} />
        </Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
}

it("offers only the legal next states to a responder (the server's list wins)", async () => {
  signIn("responder");
  fakeApi({ "GET /api/v1/incidents/inc-1": () => ({ body: incident("acknowledged") }) });
  renderDetail();
  const actions = await screen.findByRole("region", { name: "Actions" });
  expect(within(actions).getByRole("button", { name: "Start work" })).toBeInTheDocument();
  expect(within(actions).getByRole("button", { name: "Resolve" })).toBeInTheDocument();
  expect(within(actions).queryByRole("button", { name: "Acknowledge" })).toBeNull();
});

it("shows a viewer no action buttons", async () => {
  signIn("viewer");
  fakeApi({ "GET /api/v1/incidents/inc-1": () => ({ body: incident("open") }) });
  renderDetail();
  expect(await screen.findByText("HTTP 5xx error rate > 10%")).toBeInTheDocument();
  expect(screen.queryByRole("region", { name: "Actions" })).toBeNull();
  expect(screen.queryByRole("button", { name: "Acknowledge" })).toBeNull();
});

it("resolves with a note and shows MTTR, the note and the timeline after the refresh", async () => {
  signIn("responder", "alice");
  let current = incident("acknowledged", { acknowledged_at: "2026-01-01T10:01:00Z", mtta_seconds: 60 });
  const { calls } = fakeApi({
    "GET /api/v1/incidents/inc-1": () => ({ body: current }),
    "PATCH /api/v1/incidents/inc-1": (body) => {
      current = incident("resolved", {
        acknowledged_at: "2026-01-01T10:01:00Z", resolved_at: "2026-01-01T10:10:00Z", mtta_seconds: 60, mttr_seconds: 600,
        notes: [{ id: "n1", body: (body as { notes: string }).notes, author: "alice", created_at: "2026-01-01T10:10:00Z" }],
        timeline: [{ id: "t1", event_type: "status_changed", actor: "alice", message: "acknowledged → resolved", data: {}, created_at: "2026-01-01T10:10:00Z" }],
      });
      return { body: current };
    },
  });
  renderDetail();
  await userEvent.type(await screen.findByLabelText("Resolution note"), "Rolled back the deploy");
  await userEvent.click(screen.getByRole("button", { name: "Resolve" }));
  expect(await screen.findByText("Rolled back the deploy")).toBeInTheDocument();
  expect(screen.getByTestId("mttr")).toHaveTextContent("10m 0s");
  expect(screen.getByTestId("mtta")).toHaveTextContent("1m 0s");
  expect(screen.getByText("acknowledged → resolved")).toBeInTheDocument();
  expect(screen.queryByRole("button", { name: "Resolve" })).toBeNull();
  expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ status: "resolved", notes: "Rolled back the deploy" });
});

it("explains a 409 (someone else moved it first) and refreshes", async () => {
  signIn("responder");
  let current = incident("open");
  fakeApi({
    "GET /api/v1/incidents/inc-1": () => ({ body: current }),
    "PATCH /api/v1/incidents/inc-1": () => {
      current = incident("resolved");
      return { status: 409, body: { error: { code: "invalid_transition", message: "Cannot move from resolved to acknowledged", details: { current_status: "resolved", allowed: [] } } } };
    },
  });
  renderDetail();
  await userEvent.click(await screen.findByRole("button", { name: "Acknowledge" }));
  expect(await screen.findByText(/Someone else changed this incident first\. It is now "resolved"/)).toBeInTheDocument();
  expect(await screen.findByTestId("status")).toHaveTextContent("resolved");
  expect(screen.queryByRole("button", { name: "Acknowledge" })).toBeNull();
});

it("trusts the server's allowed transitions over its own table", async () => {
  signIn("admin");
  fakeApi({ "GET /api/v1/incidents/inc-1": () => ({ body: incident("acknowledged", { allowed_transitions: ["resolved"] }) }) });
  renderDetail();
  await screen.findByRole("region", { name: "Actions" });
  expect(screen.queryByRole("button", { name: "Start work" })).toBeNull();
  expect(screen.getByRole("button", { name: "Resolve" })).toBeInTheDocument();
});

it("refuses to assign an empty box (no silent unassign) and unassigns only on purpose", async () => {
  signIn("responder", "alice");
  let current = incident("open", { assignee: "bob" });
  const { calls } = fakeApi({
    "GET /api/v1/incidents/inc-1": () => ({ body: current }),
    "PATCH /api/v1/incidents/inc-1": () => {
      current = incident("open", { assignee: null });
      return { body: current };
    },
  });
  renderDetail();
  await userEvent.click(await screen.findByRole("button", { name: "Assign" }));
  expect(await screen.findByText("Type who to assign it to (or use Unassign).")).toBeInTheDocument();
  expect(calls.filter((c) => c.method === "PATCH")).toEqual([]);
  await userEvent.click(screen.getByRole("button", { name: "Unassign" }));
  expect(await screen.findByText(/assignee nobody/)).toBeInTheDocument();
  expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ assignee: null });
});

it("says loudly that nobody was paged, with on-call's reason, and counts one duplicate in the singular", async () => {
  signIn("viewer");
  fakeApi({
    "GET /api/v1/incidents/inc-1": () => ({
      body: incident("open", {
        page_state: "nobody_paged", duplicate_count: 1, alert_count: 2,
        timeline: [{ id: "t1", event_type: "nobody_paged", actor: "oncall-escalation", message: "Nobody was paged at level 1: team default does not exist", data: {}, created_at: "2026-01-01T10:00:01Z" }],
      }),
    }),
  });
  renderDetail();
  const banner = await screen.findByTestId("nobody-paged-banner");
  expect(banner).toHaveTextContent("Nobody was paged for this incident.");
  expect(banner).toHaveTextContent("team default does not exist");
  expect(screen.getByText("1 duplicate")).toBeInTheDocument();
});
