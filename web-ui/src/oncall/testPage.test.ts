import { expect, it } from "vitest";
import { ApiError } from "../api/client";
import type { NotificationRecord } from "../api/types";
import { contactsOf, refreshPending, sendTestPages, type Outcome } from "./testPage";

const USER = {
  name: "Alice Ops",
  email: "alice@example.com",
  contact_methods: [
    { id: "c1", type: "email" as const, address: "alice@example.com" },
    { id: "c2", type: "sms" as const, address: "+15550100" },
    { id: "c3", type: "phone" as const, address: "+15550100" },
    { id: "c4", type: "webhook" as const, address: "https://hooks.example/alice" },
  ],
};

function record(id: string, status: NotificationRecord["status"], extra: Partial<NotificationRecord> = {}): NotificationRecord {
  return {
    id, recipient: "r", channel: "mock", subject: "s", message: "m", incident_id: null, idempotency_key: null, status,
    attempts: 0, max_attempts: 5, next_attempt_at: null, last_error: null, created_at: "", updated_at: "", delivered_at: null, ...extra,
  };
}

it("uses escalation's channel for each contact method, once per channel and address", () => {
  expect(contactsOf(USER)).toEqual([
    { method: "email", channel: "email", recipient: "alice@example.com" },
    { method: "sms", channel: "mock", recipient: "+15550100" },
    { method: "webhook", channel: "webhook", recipient: "https://hooks.example/alice" },
  ]);
  expect(contactsOf({ email: "bob@example.com", contact_methods: [] })).toEqual([
    { method: "email (no contact methods)", channel: "mock", recipient: "bob@example.com" },
  ]);
});

it("sends one page per contact and reports each outcome, a refusal included", async () => {
  const sent: { channel: string; subject: string; idempotency_key: string }[] = [];
  const api = {
    notify: async (body: { channel: string; recipient: string; subject: string; message: string; idempotency_key: string }) => {
      sent.push(body);
      if (body.channel === "email") throw new ApiError(422, "unknown_channel", "Channel 'email' is not configured; available channels: mock, webhook");
      return record(`n-${body.channel}`, "pending");
    },
    get: async (id: string) => (id === "n-mock" ? record(id, "delivered") : record(id, "failed", { last_error: "HTTP 500" })),
  };
  const outcomes: Outcome[] = [];
  const report = (index: number, outcome: Outcome) => { outcomes[index] = outcome; };
  await sendTestPages(api, USER, "admin", "42", report);
  expect(sent.map((b) => b.channel)).toEqual(["email", "mock", "webhook"]);
  expect(sent[0].subject).toBe("[Nightwatch] Test page for Alice Ops");
  expect(new Set(sent.map((b) => b.idempotency_key)).size).toBe(3);
  expect(outcomes.map((o) => o.state)).toEqual(["refused", "pending", "pending"]);
  expect(outcomes[0]).toMatchObject({ message: expect.stringContaining("not configured") });

  expect(await refreshPending(api, [...outcomes], report)).toBe(false);
  expect(outcomes.map((o) => o.state)).toEqual(["refused", "delivered", "failed"]);
});

it("keeps looking while a page is still pending or the lookup failed", async () => {
  const api = {
    notify: async () => record("x", "pending"),
    get: async (id: string) => {
      if (id === "broken") throw new Error("network");
      return record(id, "pending", { attempts: 1 });
    },
  };
  const outcomes: Outcome[] = [{ state: "pending", notification: record("a", "pending") }, { state: "pending", notification: record("broken", "pending") }];
  expect(await refreshPending(api, outcomes, (i, o) => { outcomes[i] = o; })).toBe(true);
  expect(outcomes[0]).toMatchObject({ state: "pending", notification: { attempts: 1 } });
});
