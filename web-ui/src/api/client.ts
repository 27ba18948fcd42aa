// What every call shares: the ApiError a page shows (the platform's error body, or a plain
// sentence when there is none), the query string, and list envelopes. The client is http.ts.
import type { Page } from "./types";

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
