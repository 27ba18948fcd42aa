import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import { loadSession } from "../api/session";
import { fakeApi, signIn } from "../test/fakeApi";
import { SettingsPage } from "./SettingsPage";

afterEach(() => vi.unstubAllGlobals());

function renderSettings() {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE}>
        <SettingsPage />
      </MemoryRouter>
    </AuthProvider>,
  );
}

const ACCOUNT = { id: "a1", username: "admin", role: "admin", must_change_password: true, disabled: false, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", last_login_at: null };

it("changes the password and signs in again (the gateway revokes older tokens)", async () => {
  signIn("admin", "admin");
  const { calls } = fakeApi({
    "GET /api/v1/accounts": () => ({ body: { items: [ACCOUNT], total: 1 } }),
    "GET /api/v1/api-keys": () => ({ body: { items: [], total: 0 } }),
    "POST /api/v1/auth/change-password": () => ({ status: 204 }),
    "POST /api/v1/auth/login": () => ({ body: { access_token: "fresh", token_type: "bearer", expires_in: 900, user: { username: "admin", role: "admin", must_change_password: false } } }),
  });
  renderSettings();
  const form = screen.getByRole("form", { name: "Change password" });
  await userEvent.type(within(form).getByLabelText("Current password"), "admin");
  await userEvent.type(within(form).getByLabelText("New password"), "correct horse battery");
  await userEvent.type(within(form).getByLabelText("Repeat new password"), "correct horse battery");
  await userEvent.click(within(form).getByRole("button", { name: "Change password" }));
  expect(await within(form).findByText("Password changed.")).toBeInTheDocument();
  expect(calls.find((c) => c.path.endsWith("/change-password"))?.body).toEqual({ current_password: "admin", new_password: "correct horse battery" });
  expect(calls.find((c) => c.path.endsWith("/login"))?.body).toEqual({ username: "admin", password: "correct horse battery" });
  expect(loadSession()?.token).toBe("fresh");
  expect(loadSession()?.user.must_change_password).toBe(false);
});

it("refuses mismatched new passwords before calling the API, and shows an API key once", async () => {
  signIn("admin", "admin");
  const { calls } = fakeApi({
    "GET /api/v1/accounts": () => ({ body: { items: [ACCOUNT], total: 1 } }),
    "GET /api/v1/api-keys": () => ({ body: { items: [], total: 0 } }),
    "POST /api/v1/api-keys": (body) => ({ status: 201, body: { id: "k1", name: (body as { name: string }).name, prefix: "nw_ab12", role: null, permissions: ["ingest"], created_by: "admin", created_at: "2026-01-01T00:00:00Z", expires_at: null, revoked_at: null, last_used_at: null, key: "nw_ab12_secret-value-shown-once" } }),
  });
  renderSettings();
  const form = screen.getByRole("form", { name: "Change password" });
  await userEvent.type(within(form).getByLabelText("Current password"), "admin");
  await userEvent.type(within(form).getByLabelText("New password"), "one-password");
  await userEvent.type(within(form).getByLabelText("Repeat new password"), "another-one");
  await userEvent.click(within(form).getByRole("button", { name: "Change password" }));
  expect(await within(form).findByRole("alert")).toHaveTextContent("do not match");
  expect(calls.some((c) => c.path.endsWith("/change-password"))).toBe(false);

  const keys = screen.getByRole("region", { name: "API keys" });
  await userEvent.type(within(keys).getByLabelText("Name"), "alertmanager");
  await userEvent.click(within(keys).getByRole("button", { name: "Create key" }));
  expect(await screen.findByTestId("new-api-key")).toHaveTextContent("nw_ab12_secret-value-shown-once");
  expect(calls.find((c) => c.method === "POST" && c.path.endsWith("/api-keys"))?.body).toEqual({ name: "alertmanager", role: null, permissions: ["ingest"] });
});
