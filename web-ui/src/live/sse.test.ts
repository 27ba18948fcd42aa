import { describe, expect, it } from "vitest";
import { backoffMs, parseSse } from "./sse";

describe("parseSse", () => {
  it("splits complete events and keeps the incomplete tail", () => {
    const { events, rest } = parseSse('retry: 3000\nevent: ready\ndata: {"kinds": []}\n\nevent: incidents\ndata: {}\n\nevent: al');
    expect(events).toEqual([
      { event: "ready", data: '{"kinds": []}' },
      { event: "incidents", data: "{}" },
    ]);
    expect(rest).toBe("event: al");
    expect(parseSse(rest + "erts\ndata: {}\n\n").events).toEqual([{ event: "alerts", data: "{}" }]);
  });

  it("skips heartbeats and joins multi-line data; CRLF works too", () => {
    expect(parseSse(": keep-alive\n\n").events).toEqual([]);
    expect(parseSse("data: a\r\ndata: b\r\n\r\n").events).toEqual([{ event: "message", data: "a\nb" }]);
  });
});

describe("backoffMs", () => {
  it("doubles from one second up to thirty", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});
