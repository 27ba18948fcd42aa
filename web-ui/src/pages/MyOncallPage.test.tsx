import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import { fakeApi, signIn } from "../test/fakeApi";
import { rememberedUserId } from "../oncall/me";
import { MyOncallPage } from "./MyOncallPage";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

const ALICE = {
  id: "u1", name: "Alice Ops", email: "alice@example.com", phone: null, timezone: "UTC", created_at: "", updated_at: "",
  contact_methods: [
    { id: "c1", type: "email", address: "alice@example.com" },
    { id: "c2", type: "sms", address: "+15550100" },
  ],
};
const BOB = { ...ALICE, id: "u2", name: "Bob Oncall", email: "bob@example.com", contact_methods: [] };
const SCHEDULE = {
  id: "s1", name: "Primary", team: { id: "t1", name: "payments" }, timezone: "UTC", ical_url: "/api/v1/calendars/abc.ics",
  layers: [{ id: "l1", level: 0, name: "Weekly", participants: [{ id: "u1", name: "Alice Ops" }], rotation_type: "weekly", shift_length: 1, start_date: "2026-01-01", handoff_time: "09:00", restrictions: [] }],
};
function shift(startOffsetH: number, hours: number) {
  const start = new Date(Date.now() + startOffsetH * 3_600_000);
  return {
    start: start.toISOString(), end: new Date(start.getTime() + hours * 3_600_000).toISOString(), user: { id: "u1", name: "Alice Ops" },
    source: "layer", layer_name: "Weekly", schedule_id: "s1", schedule_name: "Primary", team: { id: "t1", name: "payments" },
  };
}

function renderPage() {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE}><MyOncallPage /></MemoryRouter>
    </AuthProvider>,
  );
}

function routes() {
  return fakeApi({
    "GET /api/v1/users": () => ({ body: { items: [ALICE, BOB], total: 2 } }),
    "GET /api/v1/schedules": () => ({ body: { items: [SCHEDULE], total: 1 } }),
    "GET /api/v1/oncall/shifts": () => ({ body: { items: [shift(-2, 24), shift(72, 24)], total: 2, limit: 2208, offset: 0 } }),
    "POST /api/v1/notify": (body) => {
      const { channel } = body as { channel: string };
      if (channel === "email") return { status: 422, body: { error: { code: "unknown_channel", message: "Channel 'email' is not configured; available channels: mock" } } };
      return { status: 202, body: { id: "n1", status: "delivered", channel, recipient: "+15550100", attempts: 1, max_attempts: 5, last_error: null } };
    },
  });
}

it("an account matching no on-call user picks itself once; the choice is remembered", async () => {
  signIn("responder", "someone");
  const { calls } = routes();
  const first = renderPage();
  const picker = await screen.findByLabelText("Which on-call person are you?");
  expect(screen.getByText(/No on-call person is linked to your console account/)).toBeInTheDocument();
  await userEvent.selectOptions(picker, "u1");
  expect(await screen.findByTestId("me")).toHaveTextContent("You are Alice Ops");
  const shifts = await screen.findAllByTestId("my-shift");
  expect(shifts).toHaveLength(2);
  expect(shifts[0]).toHaveTextContent("on call now");
  expect(shifts[1]).not.toHaveTextContent("on call now");
  expect(screen.getByTestId("now-marker")).toBeInTheDocument();
  const query = calls.find((c) => c.path === "/api/v1/oncall/shifts")?.query;
  expect(query?.get("user_id")).toBe("u1");
  // The calendar link is the schedule's secret feed, only Alice's shifts.
  expect(within(screen.getByTestId("calendar-link")).getByLabelText("Calendar URL of Primary")).toHaveValue(
    `${window.location.origin}/api/v1/calendars/abc.ics?user_id=u1`,
  );
  first.unmount();

  renderPage();
  expect(await screen.findByTestId("me")).toHaveTextContent("as you chose in this browser");
});

it("an account named like a user is matched; the test page shows each channel's outcome", async () => {
  signIn("admin", "alice");
  routes();
  renderPage();
  expect(await screen.findByTestId("me")).toHaveTextContent("matched by your username");
  await userEvent.click(screen.getByRole("button", { name: "Send me a test page" }));
  const rows = await screen.findAllByTestId("test-page-row");
  expect(rows).toHaveLength(2);
  expect(await within(rows[0]).findByText(/refused: Channel 'email' is not configured/)).toBeInTheDocument();
  expect(await within(rows[1]).findByText("delivered")).toBeInTheDocument();
});

it("a viewer sees that a test page needs an admin", async () => {
  signIn("viewer", "alice");
  routes();
  renderPage();
  expect(await screen.findByText(/needs the admin role/)).toBeInTheDocument();
  expect(screen.queryByRole("button", { name: "Send me a test page" })).toBeNull();
});

it("an account linked to a person is that person, whatever the names say", async () => {
  signIn("viewer", "alice");
  fakeApi({
    // Alice's name matches the username, but Bob is the one linked to the account "alice".
    "GET /api/v1/users": () => ({ body: { items: [ALICE, { ...BOB, console_account: "Alice" }], total: 2 } }),
    "GET /api/v1/schedules": () => ({ body: { items: [], total: 0 } }),
    "GET /api/v1/oncall/shifts": () => ({ body: [] }),
  });
  renderPage();
  const me = await screen.findByTestId("me");
  expect(me).toHaveTextContent("You are Bob Oncall");
  expect(me).toHaveTextContent("your console account is linked to this person");
  expect(screen.queryByLabelText("Which on-call person are you?")).toBeNull();
});

it("an admin links the account to the person picked, on the server", async () => {
  signIn("admin", "root");
  let linked = false;
  const { calls } = fakeApi({
    "GET /api/v1/users": () => ({ body: { items: [ALICE, linked ? { ...BOB, console_account: "root" } : BOB], total: 2 } }),
    "PATCH /api/v1/users/u2": () => {
      linked = true;
      return { body: { ...BOB, console_account: "root" } };
    },
    "GET /api/v1/schedules": () => ({ body: { items: [], total: 0 } }),
    "GET /api/v1/oncall/shifts": () => ({ body: [] }),
  });
  renderPage();
  await userEvent.selectOptions(await screen.findByLabelText("Which on-call person are you?"), "u2");
  await userEvent.click(await screen.findByRole("button", { name: "Link my account to Bob Oncall" }));
  expect(await screen.findByTestId("me")).toHaveTextContent("your console account is linked to this person");
  expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ console_account: "root" });
  expect(rememberedUserId("root")).toBeNull(); // stored with the person, not in this browser
});
