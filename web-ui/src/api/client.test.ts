import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, buildQuery, request, toPage } from "./client";
import { loadSession, saveLogin } from "./session";
import { fakeApi } from "../test/fakeApi";

afterEach(() => vi.unstubAllGlobals());

describe("request", () => {
  it("sends the bearer token and parses JSON", async () => {
    saveLogin({ access_token: "abc", token_type: "bearer", expires_in: 60, user: { username: "a", role: "viewer", must_change_password: false } });
    const { calls } = fakeApi({ "GET /api/v1/incidents": () => ({ body: { items: [], total: 0 } }) });
    await expect(request("GET", "/incidents", { query: { status: ["open", "acknowledged"], team: "" } })).resolves.toEqual({ items: [], total: 0 });
    expect(calls[0].headers.Authorization).toBe("Bearer abc");
  });

  it("turns the platform's error body into an ApiError with details and request id", async () => {
    fakeApi({
      "PATCH /api/v1/incidents/1": () => ({
        status: 409,
        body: { error: { code: "conflict", message: "Illegal transition", details: { current_status: "resolved", allowed: [] }, request_id: "r-1" } },
      }),
    });
    const error = (await request("PATCH", "/incidents/1", { body: { status: "acknowledged" } }).catch((e) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(409);
    expect(error.details).toEqual({ current_status: "resolved", allowed: [] });
    expect(error.display).toBe("Illegal transition (request r-1)");
  });

  it("ends the session on a 401", async () => {
    saveLogin({ access_token: "old", token_type: "bearer", expires_in: 60, user: { username: "a", role: "viewer", must_change_password: false } });
    fakeApi({ "GET /api/v1/auth/me": () => ({ status: 401, body: { error: { code: "unauthorized", message: "Token expired" } } }) });
    await expect(request("GET", "/auth/me")).rejects.toThrow("Token expired");
    expect(loadSession()).toBeNull();
  });

  it("explains a server error without a JSON body", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" })));
    await expect(request("GET", "/alerts")).rejects.toThrow("The server answered 502 Bad Gateway");
  });
});

describe("helpers", () => {
  it("builds repeated query parameters and skips empty ones", () => {
    expect(buildQuery({ status: ["open", "acknowledged"], team: "", limit: 25, x: undefined })).toBe("?status=open&status=acknowledged&limit=25");
  });

  it("normalizes pages and bare lists", () => {
    expect(toPage({ items: [1], total: 9, limit: 1, offset: 3 })).toMatchObject({ items: [1], total: 9, offset: 3 });
    expect(toPage({ items: [1], next_cursor: "c" })).toMatchObject({ total: null, next_cursor: "c" });
  });

  it("drops an expired session", () => {
    saveLogin({ access_token: "t", token_type: "bearer", expires_in: 1, user: { username: "a", role: "admin", must_change_password: false } }, 0);
    expect(loadSession(5_000)).toBeNull();
  });
});
