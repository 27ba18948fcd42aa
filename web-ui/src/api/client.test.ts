import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, buildQuery, toPage } from "./client";
import { incidents } from "./endpoints";
import { api, ok } from "./http";
import { loadSession, saveLogin } from "./session";
import { fakeApi } from "../test/fakeApi";

afterEach(() => vi.unstubAllGlobals());

describe("the typed client", () => {
  it("sends the bearer token, repeats list filters, drops empty ones and parses JSON", async () => {
    saveLogin({ access_token: "abc", token_type: "bearer", expires_in: 60, user: { username: "a", role: "viewer", must_change_password: false } });
    const { calls } = fakeApi({ "GET /api/v1/incidents": () => ({ body: { items: [], total: 0 } }) });
    await expect(ok(api.GET("/api/v1/incidents", { params: { query: { status: ["open", "acknowledged"], team: "" } } }))).resolves.toEqual({ items: [], total: 0 });
    expect(calls[0].headers.authorization).toBe("Bearer abc");
    expect(calls[0].query.toString()).toBe("status=open&status=acknowledged");
  });

  it("turns a 409 with the platform's error body into an ApiError with details and request id", async () => {
    fakeApi({
      "PATCH /api/v1/incidents/1": () => ({
        status: 409,
        body: { error: { code: "conflict", message: "Illegal transition", details: { current_status: "resolved", allowed: [] }, request_id: "r-1" } },
      }),
    });
    const error = (await incidents.update("1", { status: "acknowledged" }).catch((e) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(409);
    expect(error.code).toBe("conflict");
    expect(error.details).toEqual({ current_status: "resolved", allowed: [] });
    expect(error.display).toBe("Illegal transition (request r-1)");
  });

  it("fills path parameters from the typed path, encoded", async () => {
    const { calls } = fakeApi({ "GET /api/v1/incidents/a%2Fb": () => ({ body: { id: "a/b" } }) });
    await expect(incidents.get("a/b")).resolves.toEqual({ id: "a/b" });
    expect(calls[0].path).toBe("/api/v1/incidents/a%2Fb");
  });

  it("ends the session on a 401", async () => {
    saveLogin({ access_token: "old", token_type: "bearer", expires_in: 60, user: { username: "a", role: "viewer", must_change_password: false } });
    fakeApi({ "GET /api/v1/auth/me": () => ({ status: 401, body: { error: { code: "unauthorized", message: "Token expired" } } }) });
    await expect(ok(api.GET("/api/v1/auth/me"))).rejects.toThrow("Token expired");
    expect(loadSession()).toBeNull();
  });

  it("does not sign (or end the session with) a login", async () => {
    saveLogin({ access_token: "kept", token_type: "bearer", expires_in: 60, user: { username: "a", role: "viewer", must_change_password: false } });
    const { calls } = fakeApi({ "POST /api/v1/auth/login": () => ({ status: 401, body: { error: { code: "unauthorized", message: "Wrong username or password" } } }) });
    await expect(ok(api.POST("/api/v1/auth/login", { body: { username: "a", password: "b" } }))).rejects.toThrow("Wrong username or password");
    expect(calls[0].headers.authorization).toBeUndefined();
    expect(loadSession()?.token).toBe("kept");
  });

  it("explains a server error without a JSON body", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" })));
    await expect(ok(api.GET("/api/v1/alerts"))).rejects.toThrow("The server answered 502 Bad Gateway");
  });

  it("says so when the API cannot be reached", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const error = (await ok(api.GET("/api/v1/alerts")).catch((e) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe("network_error");
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
