// The console's one HTTP client: openapi-fetch typed by the generated `paths` (openapi.d.ts), so
// every path, its parameters and its body are checked against the gateway's OpenAPI when the
// console compiles. A middleware signs each call with the session; `ok()` turns an error answer
// into the ApiError the pages show, and a 401 ends the session.
import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, buildQuery, type Query } from "./client";
import type { paths } from "./openapi";
import { clearSession, loadSession } from "./session";
import type { ApiErrorBody } from "./types";

/** Login itself must not carry (or end) a session. */
const ANONYMOUS_PATHS = new Set<string>(["/api/v1/auth/login"]);

const signWithSession: Middleware = {
  onRequest({ request, schemaPath }) {
    if (ANONYMOUS_PATHS.has(schemaPath)) return undefined;
    const session = loadSession();
    if (session) request.headers.set("Authorization", `Bearer ${session.token}`);
    return request;
  },
  onResponse({ response, schemaPath }) {
    if (response.status === 401 && !ANONYMOUS_PATHS.has(schemaPath)) clearSession();
    return undefined;
  },
};

/** globalThis.fetch is read at call time (tests replace it); a dropped connection reads as one. */
async function send(request: Request): Promise<Response> {
  try {
    return await globalThis.fetch(request);
  } catch (cause) {
    if ((cause as Error).name === "AbortError") throw cause;
    throw new ApiError(0, "network_error", "Cannot reach the Nightwatch API. Check your connection.");
  }
}

export const api = createClient<paths>({
  // Absolute, because a Request needs one; the console is served from the gateway's origin.
  baseUrl: globalThis.location?.origin ?? "http://localhost",
  headers: { Accept: "application/json" },
  fetch: send,
  // Empty filters are left out, repeated ones (status=open&status=acknowledged) repeated.
  querySerializer: (query) => buildQuery(query as Query).slice(1),
});
api.use(signWithSession);

function errorFrom(response: Response, body: unknown): ApiError {
  const error = (body as Partial<ApiErrorBody> | null)?.error;
  if (error && typeof error.message === "string") {
    return new ApiError(response.status, error.code, error.message, error.details ?? null, error.request_id ?? null);
  }
  const fallback =
    response.status >= 500
      ? `The server answered ${response.status} ${response.statusText || ""}`.trim()
      : `Request failed: ${response.status} ${response.statusText || ""}`.trim();
  return new ApiError(response.status, "http_" + response.status, fallback, null, response.headers.get("x-request-id"));
}

/** The answer's body, or the ApiError of an error answer: `await ok(api.GET("/api/v1/…", …))`. */
export async function ok<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw errorFrom(response, error);
  return data as T;
}
