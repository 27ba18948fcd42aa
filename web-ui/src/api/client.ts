// One fetch wrapper for every call: bearer token, JSON, and the platform's error body turned
// into an ApiError the pages show. A 401 ends the session (expired or revoked token).
import { clearSession, loadSession } from "./session";
import type { ApiErrorBody, Page } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** What a person reads: the server's message, and the request id to quote in a bug report. */
  get display(): string {
    return this.requestId ? `${this.message} (request ${this.requestId})` : this.message;
  }
}

export type Query = Record<string, string | number | boolean | string[] | null | undefined>;

export function buildQuery(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((item) => params.append(key, item));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> | null = null;
  try {
    body = (await response.json()) as Partial<ApiErrorBody>;
  } catch {
    body = null;
  }
  const error = body?.error;
  if (error && typeof error.message === "string") {
    return new ApiError(response.status, error.code, error.message, error.details ?? null, error.request_id ?? null);
  }
  const fallback =
    response.status >= 500
      ? `The server answered ${response.status} ${response.statusText || ""}`.trim()
      : `Request failed: ${response.status} ${response.statusText || ""}`.trim();
  return new ApiError(response.status, "http_" + response.status, fallback, null, response.headers.get("x-request-id"));
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Login itself must not carry (or clear) a session. */
  anonymous?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const session = options.anonymous ? null : loadSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}${buildQuery(options.query)}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (cause) {
    if ((cause as Error).name === "AbortError") throw cause;
    throw new ApiError(0, "network_error", "Cannot reach the Nightwatch API. Check your connection.");
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !options.anonymous) clearSession();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Every list is one envelope (docs/architecture.md, "Lists"): {items, total, limit, offset} or
 * {items, limit, next_cursor}. */
export function toPage<T>(raw: unknown, limit = 0, offset = 0): Page<T> {
  const value = (raw ?? {}) as Record<string, unknown>;
  const items = (value.items ?? []) as T[];
  return {
    items,
    total: typeof value.total === "number" ? value.total : null,
    limit: typeof value.limit === "number" ? value.limit : limit,
    offset: typeof value.offset === "number" ? value.offset : offset,
    next_cursor: typeof value.next_cursor === "string" ? value.next_cursor : null,
  };
}
