import { expect, it } from "vitest";
import { barLabel, barPosition, dayStart, initials, nowPosition, ticks } from "./timeline";

const from = new Date("2026-03-01T00:00:00Z");
const to = new Date("2026-03-29T00:00:00Z"); // 28 days

it("places a bar by its share of the range and clips it to the range", () => {
  expect(barPosition({ start: "2026-03-08T00:00:00Z", end: "2026-03-15T00:00:00Z" }, from, to)).toEqual({ left: 25, width: 25 });
  expect(barPosition({ start: "2026-02-20T00:00:00Z", end: "2026-03-08T00:00:00Z" }, from, to)).toEqual({ left: 0, width: 25 });
  expect(barPosition({ start: "2026-03-22T00:00:00Z", end: "2026-04-30T00:00:00Z" }, from, to)).toEqual({ left: 75, width: 25 });
  // A very short shift stays visible.
  expect(barPosition({ start: "2026-03-08T00:00:00Z", end: "2026-03-08T00:01:00Z" }, from, to).width).toBe(0.5);
});

it("puts the now marker inside the range only", () => {
  expect(nowPosition(new Date("2026-03-15T00:00:00Z"), from, to)).toBe(50);
  expect(nowPosition(from, from, to)).toBe(0);
  expect(nowPosition(new Date("2026-02-28T23:59:00Z"), from, to)).toBeNull();
  expect(nowPosition(to, from, to)).toBeNull();
});

it("names a bar as fully as its width allows", () => {
  expect(barLabel("Alice Ops", 200)).toBe("Alice Ops");
  expect(barLabel("Alice Ops", 50)).toBe("Alice");
  expect(barLabel("Alice Ops", 25)).toBe("AO");
  expect(barLabel("Alice Ops", 10)).toBe("");
  expect(initials("  bob   de  la cruz ")).toBe("BD");
});

it("ticks every day up to two weeks, every week beyond", () => {
  expect(ticks(from, new Date("2026-03-08T00:00:00Z"))).toHaveLength(7);
  const weekly = ticks(from, to);
  expect(weekly.map((d) => d.toISOString().slice(0, 10))).toEqual(["2026-03-01", "2026-03-08", "2026-03-15", "2026-03-22"]);
});

it("starts the timeline at the browser's midnight", () => {
  const start = dayStart(new Date(2026, 2, 1, 10, 42, 13, 500));
  expect(start.getTime()).toBe(new Date(2026, 2, 1).getTime());
});

it("starts the timeline at midnight of the zone picked", () => {
  // 10:42 UTC on March 1 is 23:42 in Auckland (UTC+13) and 05:42 in New York (UTC-5).
  const now = new Date("2026-03-01T10:42:13Z");
  expect(dayStart(now, "Pacific/Auckland").toISOString()).toBe("2026-02-28T11:00:00.000Z");
  expect(dayStart(now, "America/New_York").toISOString()).toBe("2026-03-01T05:00:00.000Z");
});
