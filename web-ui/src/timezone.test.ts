import { afterEach, describe, expect, it } from "vitest";
import { formatTime } from "./format";
import { currentZone, instantToWallTime, offsetMinutes, saveZone, wallTimeToInstant } from "./timezone";

afterEach(() => localStorage.clear());

describe("zones", () => {
  it("reads a wall-clock time in the given zone, whatever the browser's", () => {
    expect(wallTimeToInstant("2027-01-15T09:00", "Europe/Berlin").toISOString()).toBe("2027-01-15T08:00:00.000Z");
    expect(wallTimeToInstant("2027-07-15T09:00", "Europe/Berlin").toISOString()).toBe("2027-07-15T07:00:00.000Z");
    expect(wallTimeToInstant("2027-01-15T09:00", "America/New_York").toISOString()).toBe("2027-01-15T14:00:00.000Z");
    expect(wallTimeToInstant("2027-01-15T09:00", "Asia/Kolkata").toISOString()).toBe("2027-01-15T03:30:00.000Z");
    expect(wallTimeToInstant("not a time", "UTC").getTime()).toBeNaN();
  });

  it("puts a time skipped by the spring change after the gap", () => {
    // Berlin 2027-03-28: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    expect(wallTimeToInstant("2027-03-28T02:30", "Europe/Berlin").toISOString()).toBe("2027-03-28T01:30:00.000Z");
  });

  it("goes back from an instant to the zone's clock", () => {
    const instant = new Date("2027-01-15T08:00:00Z");
    expect(instantToWallTime(instant, "Europe/Berlin")).toBe("2027-01-15T09:00");
    expect(instantToWallTime(instant, "Asia/Tokyo")).toBe("2027-01-15T17:00");
    expect(offsetMinutes("America/New_York", instant.getTime())).toBe(-300);
  });

  it("shows every time with its zone, in the zone picked", () => {
    saveZone("Asia/Tokyo");
    expect(currentZone()).toBe("Asia/Tokyo");
    expect(formatTime("2027-01-15T08:00:00Z")).toMatch(/(17:00:00|05:00:00 PM) GMT\+9$/);
    expect(formatTime("2027-01-15T08:00:00Z", "UTC")).toMatch(/08:00:00( AM)? UTC$/);
    localStorage.setItem("nightwatch.timezone", "Not/AZone");
    expect(currentZone()).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});
