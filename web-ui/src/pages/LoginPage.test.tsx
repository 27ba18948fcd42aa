import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { AppRoutes, ROUTER_FUTURE } from "../App";
import { AuthProvider } from "../auth";
import { loadSession } from "../api/session";
import { fakeApi } from "../test/fakeApi";

afterEach(() => vi.unstubAllGlobals());

function renderApp(path = "/") {
  return render(
    <AuthProvider>
      <MemoryRouter future={ROUTER_FUTURE} initialEntries={[path]}>
        <AppRoutes />
      </MemoryRouter>
    </AuthProvider>,
  );
}

const EMPTY = () => ({ body: { items: [], total: 0, limit: 25, offset: 0 } });

it("sends a signed-out visitor to the login page and shows a wrong password", async () => {
  fakeApi({ "POST /api/v1/auth/login": () => ({ status: 401, body: { error: { code: "unauthorized", message: "Invalid credentials" } } }) });
  renderApp("/incidents");
  await userEvent.type(screen.getByLabelText("Username"), "admin");
  await userEvent.type(screen.getByLabelText("Password"), "nope");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
  expect(loadSession()).toBeNull();
});

it("logs in, keeps the session and returns to the page asked for", async () => {
  const { calls } = fakeApi({
    "POST /api/v1/auth/login": () => ({
      body: { access_token: "tok", token_type: "bearer", expires_in: 900, user: { username: "ops", role: "admin", must_change_password: false } },
    }),
    "GET /api/v1/incidents": EMPTY,
  });
  renderApp("/incidents");
  await userEvent.type(screen.getByLabelText("Username"), "ops");
  await userEvent.type(screen.getByLabelText("Password"), "s3cret-pass");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
  // Generous bounds: on a loaded 2-core machine the first render after login took over 1 s.
  expect(await screen.findByRole("heading", { name: "Incidents" }, { timeout: 5000 })).toBeInTheDocument();
  expect(await screen.findByText(/No incidents match/)).toBeInTheDocument();
  expect(calls[0].body).toEqual({ username: "ops", password: "s3cret-pass" });
  expect(loadSession()?.token).toBe("tok");
});

it("sends an account that must change its password to the change form first, then where it was going", async () => {
  let changed = false;
  const { calls } = fakeApi({
    "POST /api/v1/auth/login": () => ({
      body: { access_token: changed ? "fresh" : "tok", token_type: "bearer", expires_in: 900, user: { username: "admin", role: "admin", must_change_password: !changed } },
    }),
    "POST /api/v1/auth/change-password": () => {
      changed = true;
      return { status: 204 };
    },
    "GET /api/v1/incidents": EMPTY,
  });
  renderApp("/incidents");
  await userEvent.type(screen.getByLabelText("Username"), "admin");
  await userEvent.type(screen.getByLabelText("Password"), "admin");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
  const form = await screen.findByRole("form", { name: "Change password" }, { timeout: 5000 });
  expect(screen.getByText(/using the default password/)).toBeInTheDocument();
  expect(screen.getByRole("note")).toHaveTextContent("Change your password to continue");
  // Nothing the gateway would refuse (403 password_change_required) is asked for meanwhile.
  expect(calls.map((c) => c.path)).toEqual(["/api/v1/auth/login"]);
  await userEvent.type(within(form).getByLabelText("Current password"), "admin");
  await userEvent.type(within(form).getByLabelText("New password"), "correct horse battery");
  await userEvent.type(within(form).getByLabelText("Repeat new password"), "correct horse battery");
  await userEvent.click(within(form).getByRole("button", { name: "Change password" }));
  expect(await screen.findByRole("heading", { name: "Incidents" }, { timeout: 5000 })).toBeInTheDocument();
  expect(await screen.findByText(/No incidents match/)).toBeInTheDocument();
  expect(loadSession()?.token).toBe("fresh");
  expect(screen.queryByText(/using the default password/)).toBeNull();
});

it("shows a server error instead of swallowing it", async () => {
  fakeApi({ "POST /api/v1/auth/login": () => ({ status: 503, body: { error: { code: "unavailable", message: "Gateway is starting", request_id: "r9" } } }) });
  renderApp("/login");
  await userEvent.type(screen.getByLabelText("Username"), "admin");
  await userEvent.type(screen.getByLabelText("Password"), "admin");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("Gateway is starting (request r9)");
});
