import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import type { NotificationRulesRead, OncallUser } from "../api/types";
import { fakeApi, signIn } from "../test/fakeApi";
import { NotificationRules } from "./NotificationRules";
import { bodyOf, draftOf, summary } from "./notificationRules";

afterEach(() => vi.unstubAllGlobals());

const ALICE: OncallUser = {
  id: "u1", name: "Alice Ops", email: "alice@example.com", phone: null, timezone: "Europe/Berlin", created_at: "", updated_at: "",
  contact_methods: [
    { id: "c1", type: "email", address: "alice@example.com" },
    { id: "c2", type: "sms", address: "+15550100" },
  ],
};
const RULES: NotificationRulesRead = {
  user_id: "u1", timezone: "Europe/Berlin", quiet_hours: null,
  defaults: { high: "every contact method at once (no rules for this urgency)", low: "every contact method at once (no rules for this urgency)" },
  rules: [{
    id: "r1", urgency: "high", delay_minutes: 0, contact_method_id: "c1",
    contact_method: { id: "c1", type: "email", address: "alice@example.com" },
    description: "high urgency: immediately via email alice@example.com",
  }],
};

function renderRules() {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE}><NotificationRules user={ALICE} /></MemoryRouter>
    </AuthProvider>,
  );
}

it("the draft becomes the PUT body, and each urgency says what happens", () => {
  const draft = draftOf(RULES);
  expect(summary(draft, ALICE.contact_methods, "high")).toBe("immediately via email · alice@example.com, until someone acknowledges.");
  expect(summary(draft, ALICE.contact_methods, "low")).toBe("No rules: every contact method at once.");
  const body = bodyOf({ ...draft, quiet: true, quietStart: "22:00:00", quietEnd: "07:00" });
  expect(body).toEqual({
    rules: [{ urgency: "high", delay_minutes: 0, contact_method_id: "c1" }],
    quiet_hours: { start: "22:00", end: "07:00" },
  });
});

it("an admin adds an SMS step after 2 minutes and quiet hours, sees a 422 and then saves", async () => {
  signIn("admin");
  let refuse = true;
  const { calls } = fakeApi({
    "GET /api/v1/users/u1/notification-rules": () => ({ body: RULES }),
    "PUT /api/v1/users/u1/notification-rules": (body) =>
      refuse
        ? { status: 422, body: { error: { code: "validation_error", message: "Invalid request: body.rules.1.delay_minutes: Input should be greater than or equal to 0" } } }
        : { body: { ...RULES, quiet_hours: (body as { quiet_hours: unknown }).quiet_hours } },
  });
  renderRules();
  const high = await screen.findByTestId("rules-high");
  await userEvent.click(within(high).getByRole("button", { name: "Add a high-urgency step" }));
  const [, added] = within(high).getAllByTestId("rule-step");
  const delay = within(added).getByLabelText("Delay in minutes");
  await userEvent.clear(delay);
  await userEvent.type(delay, "-2");
  await userEvent.selectOptions(within(added).getByLabelText("Contact method"), "c2");
  await userEvent.click(screen.getByLabelText(/Quiet hours for low urgency/));
  await userEvent.click(screen.getByRole("button", { name: "Save notification rules" }));
  expect(await screen.findByText(/greater than or equal to 0/)).toBeInTheDocument();

  refuse = false;
  await userEvent.clear(delay);
  await userEvent.type(delay, "2");
  expect(screen.getByTestId("summary-high")).toHaveTextContent("immediately via email · alice@example.com, then after 2 min via sms · +15550100");
  await userEvent.click(screen.getByRole("button", { name: "Save notification rules" }));
  expect(await screen.findByText("Saved")).toBeInTheDocument();
  const put = calls.filter((c) => c.method === "PUT").at(-1)?.body;
  expect(put).toEqual({
    rules: [
      { urgency: "high", delay_minutes: 0, contact_method_id: "c1" },
      { urgency: "high", delay_minutes: 2, contact_method_id: "c2" },
    ],
    quiet_hours: { start: "22:00", end: "07:00" },
  });
});

it("a responder cannot edit but sends a test notification to one contact method", async () => {
  signIn("responder");
  const { calls } = fakeApi({
    "GET /api/v1/users/u1/notification-rules": () => ({ body: RULES }),
    "POST /api/v1/users/u1/contact-methods/c2/test": () => ({
      status: 202, body: { contact_method_id: "c2", channel: "mock", recipient: "+15550100", idempotency_key: "contact-test:c2:x", status: "queued" },
    }),
  });
  renderRules();
  await screen.findByTestId("rules-high");
  expect(screen.queryByRole("button", { name: "Save notification rules" })).toBeNull();
  const [, sms] = screen.getAllByTestId("contact-method");
  await userEvent.click(within(sms).getByRole("button", { name: "Send a test notification" }));
  expect(await within(sms).findByTestId("test-outcome")).toHaveTextContent("queued on mock: see Notifications for +15550100");
  expect(calls.some((c) => c.method === "POST" && c.path === "/api/v1/users/u1/contact-methods/c2/test")).toBe(true);
});
