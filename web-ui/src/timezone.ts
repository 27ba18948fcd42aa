// The zone a person reads times in (issue #15 item 8): picked in the header, kept in
// localStorage, the browser's own zone until then. Every time shown carries its zone, and a time
// typed for a schedule is read in the schedule's zone, whatever the person's.
import { useSyncExternalStore } from "react";

const KEY = "nightwatch.timezone";
const listeners = new Set<() => void>();

export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The picked zone, else the browser's. */
export function currentZone(): string {
  const stored = localStorage.getItem(KEY);
  return stored && isZone(stored) ? stored : browserZone();
}

export function saveZone(zone: string): void {
  if (zone === browserZone()) localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, zone);
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The picked zone; the component renders again when it changes. */
export function useTimeZone(): string {
  return useSyncExternalStore(subscribe, currentZone);
}

/** Every IANA zone the browser knows, UTC first, the current one always included. */
export function zoneChoices(current: string): string[] {
  // ES2022, in every current browser; the lib this project compiles against predates it.
  const { supportedValuesOf } = Intl as unknown as { supportedValuesOf?: (key: "timeZone") => string[] };
  const known = supportedValuesOf ? supportedValuesOf("timeZone") : [];
  return Array.from(new Set(["UTC", current, browserZone(), ...known])).sort((a, b) =>
    a === "UTC" ? -1 : b === "UTC" ? 1 : a.localeCompare(b),
  );
}

/** How far `zone` is ahead of UTC at `instant`, in minutes (Berlin in winter: 60). */
export function offsetMinutes(zone: string, instant: number): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(instant))
      .map((part) => [part.type, Number(part.value)]),
  );
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/**
 * The instant a wall-clock time ("2027-01-15T09:00", a datetime-local value) names in `zone`.
 * Two passes because the offset depends on the instant: a time skipped by a spring-forward change
 * lands after the gap, a time repeated by a fall-back change at its second occurrence.
 */
export function wallTimeToInstant(local: string, zone: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!match) return new Date(Number.NaN);
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
  const first = wall - offsetMinutes(zone, wall) * 60_000;
  return new Date(wall - offsetMinutes(zone, first) * 60_000);
}

/** The datetime-local value ("2027-01-15T09:00") of an instant on the clocks of `zone`. */
export function instantToWallTime(instant: Date, zone: string): string {
  const shifted = new Date(instant.getTime() + offsetMinutes(zone, instant.getTime()) * 60_000);
  return shifted.toISOString().slice(0, 16);
}
