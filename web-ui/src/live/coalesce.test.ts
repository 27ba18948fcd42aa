import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createBatcher, newCriticals, tabTitle } from "./coalesce";

describe("createBatcher", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("flushes the first change of a kind at once and a burst at most once per interval", () => {
    const flushed: string[][] = [];
    const batcher = createBatcher((kinds) => flushed.push(kinds), 100);
    batcher.add("incidents");
    expect(flushed).toEqual([["incidents"]]);
    batcher.add("incidents");
    batcher.add("incidents");
    batcher.add("alerts"); // its own clock: not held back by the incidents burst
    expect(flushed).toEqual([["incidents"], ["alerts"]]);
    vi.advanceTimersByTime(100);
    expect(flushed).toEqual([["incidents"], ["alerts"], ["incidents"]]);
    vi.advanceTimersByTime(100); // nothing new: idle again
    expect(flushed).toHaveLength(3);
    batcher.add("incidents");
    expect(flushed).toHaveLength(4);
    batcher.stop();
  });
});

describe("newCriticals", () => {
  it("learns on the first look and reports only critical ids seen for the first time", () => {
    const first = newCriticals(null, [
      { id: "a", severity: "critical" },
      { id: "b", severity: "high" },
    ]);
    expect(first.fresh).toEqual([]);
    const second = newCriticals(first.seen, [
      { id: "c", severity: "critical" },
      { id: "a", severity: "critical" },
      { id: "d", severity: "low" },
    ]);
    expect(second.fresh).toEqual(["c"]);
    expect(newCriticals(second.seen, [{ id: "c", severity: "critical" }]).fresh).toEqual([]);
  });
});

describe("tabTitle", () => {
  it("puts the open count first, and nothing when there is none", () => {
    expect(tabTitle(3)).toBe("(3) Nightwatch");
    expect(tabTitle(0)).toBe("Nightwatch");
    expect(tabTitle(null)).toBe("Nightwatch");
  });
});
