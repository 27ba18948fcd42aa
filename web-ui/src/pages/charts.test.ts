import { describe, expect, it } from "vitest";
import { hourlyBuckets, topCounts } from "./charts";

describe("dashboard aggregation", () => {
  it("counts per hour including empty hours, ignoring older items", () => {
    const now = Date.parse("2026-01-01T12:30:00Z");
    const buckets = hourlyBuckets(["2026-01-01T12:05:00Z", "2026-01-01T12:10:00Z", "2026-01-01T10:59:59Z", "2025-12-31T00:00:00Z"], 3, now);
    expect(buckets).toEqual([
      { hour: "10:00", count: 1 },
      { hour: "11:00", count: 0 },
      { hour: "12:00", count: 2 },
    ]);
  });

  it("ranks the noisiest services", () => {
    expect(topCounts(["b", "a", "b", "c", "b", "a"], 2)).toEqual([
      { name: "b", count: 3 },
      { name: "a", count: 2 },
    ]);
  });
});
