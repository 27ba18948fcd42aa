// Server-sent events read with fetch(), not EventSource: EventSource cannot send the
// Authorization header the console signs every call with, and a token in the URL would end up
// in access logs. fetch() streams the response body, so the parsing below is all we need.

export interface SseEvent {
  event: string;
  data: string;
}

/** Split what arrived into complete events; the incomplete tail is returned to wait for more. */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const normalized = buffer.replace(/\r\n?/g, "\n");
  const blocks = normalized.split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue; // a comment: the stream's heartbeat
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length || event !== "message") events.push({ event, data: data.join("\n") });
  }
  return { events, rest };
}

/** Wait before reconnect attempt `attempt` (0-based): 1 s, 2 s, 4 s … at most 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}

export class StreamRefused extends Error {
  constructor(readonly status: number) {
    super(`The event stream was refused (${status})`);
  }
}

/**
 * Read one event stream until it ends: calls `onEvent` for each event. Resolves when the server
 * ends the stream; rejects when it cannot be opened (StreamRefused for an HTTP error) or breaks.
 */
export async function readEventStream(
  url: string,
  headers: Record<string, string>,
  onEvent: (event: SseEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(url, { headers: { ...headers, Accept: "text/event-stream" }, signal, cache: "no-store" });
  if (!response.ok || !response.body) throw new StreamRefused(response.status);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const parsed = parseSse(buffer + decoder.decode(value, { stream: true }));
    buffer = parsed.rest;
    parsed.events.forEach(onEvent);
  }
}
