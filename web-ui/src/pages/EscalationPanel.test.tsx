import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, expect, it, vi } from "vitest";
import type { Escalation, EscalationPage, NotificationRecord } from "../api/types";
import { fakeApi, signIn } from "../test/fakeApi";
import { EscalationPanel } from "./EscalationPanel";

afterEach(() => vi.unstubAllGlobals());

const POLICY = { name: "Payments", levels: [{ targets: [], delay_minutes: 5 }, { targets: [], delay_minutes: 10 }] };

function page(extra: Partial<EscalationPage>): EscalationPage {
  return {
    step: 1, level: 1, round: 1, user_id: "u1", user_name: "Alice", channel: "email", recipient: "alice@example.com",
    status: "sent", notification_id: "n1", last_error: null, created_at: "2026-01-01T10:00:00Z", sent_at: "2026-01-01T10:00:01Z",
    ...extra,
  };
}

function escalation(extra: Partial<Escalation>): Escalation {
  return {
    incident_id: "inc-1", team: "payments", title: "t", service: "api", severity: "high", status: "active",
    policy_id: "p1", policy: POLICY, last_level: 1, next_level: 2, round: 1, next_step_at: "2026-01-01T10:05:00Z",
    steps_taken: 1, stop_reason: null, stopped_by: null, stopped_at: null, created_at: "2026-01-01T10:00:00Z",
    updated_at: "2026-01-01T10:00:00Z", events: [], pages: [], ...extra,
  };
}

function notification(id: string, status: NotificationRecord["status"], last_error: string | null = null): NotificationRecord {
  return {
    id, recipient: "x", channel: "email", subject: "s", message: "m", incident_id: "inc-1", idempotency_key: null, status,
    attempts: 1, max_attempts: 5, next_attempt_at: null, last_error, created_at: "2026-01-01T10:00:00Z",
    updated_at: "2026-01-01T10:00:00Z", delivered_at: status === "delivered" ? "2026-01-01T10:00:02Z" : null,
  };
}

it("shows the level, the next level's time, each page's channel and delivery, and escalates now", async () => {
  signIn("responder");
  let current = escalation({
    pages: [page({}), page({ user_name: "Bob", user_id: "u2", channel: "slack", recipient: "@bob", notification_id: "n2" })],
  });
  const { calls } = fakeApi({
    "GET /api/v1/escalations/inc-1": () => ({ body: current }),
    "GET /api/v1/notifications": () => ({ body: { items: [notification("n1", "delivered"), notification("n2", "failed", "channel_error")], total: 2 } }),
    "POST /api/v1/escalate": () => {
      current = escalation({ last_level: 2, next_level: null, status: "exhausted", next_step_at: null, pages: [...current.pages, page({ level: 2, step: 2, notification_id: null, status: "queued" })] });
      return { body: current };
    },
  });
  render(<EscalationPanel incidentId="inc-1" canEscalate />);
  const state = await screen.findByTestId("escalation-state");
  expect(state).toHaveTextContent("Payments · Level 1 of 2 paged (round 1); level 2 of 2 fires");
  const rows = screen.getAllByTestId("escalation-page");
  expect(rows[0]).toHaveTextContent("Alice");
  expect(rows[0]).toHaveTextContent("email · alice@example.com");
  expect(rows[0]).toHaveTextContent(/delivered/);
  expect(rows[1]).toHaveTextContent("failed: channel_error");

  await userEvent.click(screen.getByRole("button", { name: "Escalate now" }));
  expect(await screen.findByText(/every level was paged/)).toBeInTheDocument();
  expect(calls.find((c) => c.method === "POST")?.body).toEqual({ incident_id: "inc-1" });
  expect(screen.getAllByTestId("escalation-page")[2]).toHaveTextContent("queued");
});

it("says who stopped it, and offers no Escalate now once stopped", async () => {
  signIn("responder");
  fakeApi({
    "GET /api/v1/escalations/inc-1": () => ({
      body: escalation({ status: "stopped", stop_reason: "acknowledged", stopped_by: "alice", stopped_at: "2026-01-01T10:03:00Z", next_level: null, next_step_at: null }),
    }),
    "GET /api/v1/notifications": () => ({ body: { items: [], total: 0 } }),
  });
  render(<EscalationPanel incidentId="inc-1" canEscalate />);
  expect(await screen.findByTestId("escalation-state")).toHaveTextContent("Stopped at level 1 of 2: acknowledged by alice");
  expect(screen.queryByRole("button", { name: "Escalate now" })).toBeNull();
});

it("explains an escalation that has not started yet (404)", async () => {
  signIn("viewer");
  fakeApi({ "GET /api/v1/notifications": () => ({ body: { items: [], total: 0 } }) });
  render(<EscalationPanel incidentId="inc-1" canEscalate={false} />);
  expect(await screen.findByText("On-call has not started escalating this incident yet.")).toBeInTheDocument();
});

it("shows which notification rule sent each page, and when a later step is due", async () => {
  signIn("responder");
  const due = new Date(Date.now() + 120_000).toISOString();
  fakeApi({
    "GET /api/v1/escalations/inc-1": () => ({
      body: escalation({
        pages: [
          page({ notification_rule_id: "r1", notification_rule: "high urgency: immediately via email alice@example.com" }),
          page({ channel: "mock", recipient: "+15550100", status: "queued", notification_id: null, sent_at: null, due_at: due,
            notification_rule_id: "r2", notification_rule: "high urgency: after 2 min via sms +15550100" }),
        ],
      }),
    }),
    "GET /api/v1/notifications": () => ({ body: { items: [notification("n1", "delivered")], total: 1 } }),
  });
  render(<EscalationPanel incidentId="inc-1" canEscalate />);
  const rows = await screen.findAllByTestId("escalation-page");
  expect(rows[0]).toHaveTextContent("rule: high urgency: immediately via email alice@example.com");
  expect(rows[1]).toHaveTextContent("rule: high urgency: after 2 min via sms +15550100");
  expect(rows[1]).toHaveTextContent(/^.*due /);
});
