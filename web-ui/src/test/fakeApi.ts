// A fake gateway for component tests: routes "METHOD /path" to handlers and records calls.
import { vi } from "vitest";
import { saveLogin } from "../api/session";
import type { IncidentStatus, Role } from "../api/types";

export type Handler = (body: unknown, url: URL) => { status?: number; body?: unknown };

export function fakeApi(routes: Record<string, Handler>) {
  const calls: { method: string; path: string; query: URLSearchParams; body: unknown; headers: Record<string, string> }[] = [];
  // The API client (openapi-fetch) sends a Request; the event stream a URL and an init.
  const fetchMock = vi.fn(async (input: string | Request, init: RequestInit = {}) => {
    const request = typeof input === "string" ? null : input;
    const url = new URL(typeof input === "string" ? input : input.url, "http://ui.test");
    const method = (request?.method ?? init.method ?? "GET").toUpperCase();
    const text = request ? await request.text() : init.body ? String(init.body) : "";
    const body = text ? JSON.parse(text) : undefined;
    const headers = request ? Object.fromEntries(request.headers.entries()) : ((init.headers ?? {}) as Record<string, string>);
    calls.push({ method, path: url.pathname, query: url.searchParams, body, headers });
    const handler = routes[`${method} ${url.pathname}`];
    const answer = handler ? handler(body, url) : { status: 404, body: { error: { code: "not_found", message: `no route ${method} ${url.pathname}` } } };
    const status = answer.status ?? 200;
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

export function signIn(role: Role, username: string = role) {
  saveLogin({ access_token: `token-${username}`, token_type: "bearer", expires_in: 3600, user: { username, role, must_change_password: false } });
}

/** What a fake server answers as `allowed_transitions` (the real one: the incidents service). */
export const SERVER_TRANSITIONS: Record<IncidentStatus, IncidentStatus[]> = {
  open: ["acknowledged", "resolved"],
  acknowledged: ["in_progress", "resolved"],
  in_progress: ["resolved"],
  resolved: [],
};
