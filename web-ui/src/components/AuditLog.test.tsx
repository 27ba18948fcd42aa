import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, expect, it, vi } from "vitest";
import { fakeApi, signIn } from "../test/fakeApi";
import { AuditLog } from "./AuditLog";

afterEach(() => vi.unstubAllGlobals());

const ENTRY = {
  id: 7,
  at: "2026-12-02T03:04:05Z",
  actor: "mallory",
  action: "login.failed",
  target: null,
  address: "203.0.113.9",
  request_id: "req-9",
  details: {},
};
const PROMOTED = { ...ENTRY, id: 6, actor: "admin", action: "account.updated", target: "a1", address: "10.0.0.1", request_id: null, details: { role: "admin" } };

it("lists who did what, filters by action and pages through the log", async () => {
  signIn("admin");
  const { calls } = fakeApi({
    "GET /api/v1/audit": (_body, url) => {
      const action = url.searchParams.get("action");
      const items = action === "login.failed" ? [ENTRY] : [ENTRY, PROMOTED];
      return { body: { items, total: action ? 1 : 45, limit: 20, offset: Number(url.searchParams.get("offset")) } };
    },
  });
  render(<AuditLog />);
  expect(await screen.findByText("account.updated")).toBeInTheDocument();
  expect(screen.getByText("203.0.113.9")).toHaveAttribute("title", "request req-9");
  expect(screen.getByText("role: admin")).toBeInTheDocument();
  expect(screen.getByText("1–2 of 45")).toBeInTheDocument();

  await userEvent.click(screen.getByRole("button", { name: "Next" }));
  const lastQuery = () => calls.at(-1)!.query;
  await vi.waitFor(() => expect(lastQuery().get("offset")).toBe("20"));
  expect(lastQuery().get("limit")).toBe("20");

  await userEvent.selectOptions(screen.getByLabelText("Action"), "login.failed");
  expect(await screen.findByText("1–1 of 1")).toBeInTheDocument();
  expect(screen.queryByText("account.updated")).toBeNull();
});
