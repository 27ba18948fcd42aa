// Where the shift bars, the "now" marker and the day ticks of a shift timeline go (pure, tested).
import { currentZone, instantToWallTime, wallTimeToInstant } from "../timezone";

export interface Span {
  start: string;
  end: string;
}

/** Left offset and width of [start, end) inside [from, to), in percent of the timeline. */
export function barPosition(span: Span, from: Date, to: Date): { left: number; width: number } {
  const total = to.getTime() - from.getTime();
  const left = Math.max(new Date(span.start).getTime(), from.getTime());
  const right = Math.min(new Date(span.end).getTime(), to.getTime());
  return { left: ((left - from.getTime()) / total) * 100, width: Math.max(0.5, ((right - left) / total) * 100) };
}

/** The "now" marker's offset in percent, or null when now is outside the range. */
export function nowPosition(now: Date, from: Date, to: Date): number | null {
  if (now < from || now >= to) return null;
  return ((now.getTime() - from.getTime()) / (to.getTime() - from.getTime())) * 100;
}

export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0].toUpperCase())
    .join("");
}

// An average character of the bar's 11 px font, and the bar's padding.
const CHAR_PX = 6.5;
const PADDING_PX = 8;

/** What fits in a bar `barPx` wide: the whole name, else the first name, else initials, else
 * nothing (the legend and the bar's tooltip still name it). */
export function barLabel(name: string, barPx: number): string {
  const fits = (text: string) => text.length * CHAR_PX + PADDING_PX <= barPx;
  if (fits(name)) return name;
  const first = name.split(/\s+/)[0] ?? "";
  if (first && fits(first)) return first;
  const short = initials(name);
  return fits(short) ? short : "";
}

/** Tick marks: every day up to two weeks, every Monday-aligned week beyond (labels stay legible). */
export function ticks(from: Date, to: Date): Date[] {
  const days = Math.round((to.getTime() - from.getTime()) / 86_400_000);
  const step = days <= 14 ? 1 : 7;
  return Array.from({ length: Math.ceil(days / step) }, (_, index) => new Date(from.getTime() + index * step * 86_400_000));
}

/** The start of today in the picked zone: the timeline's left edge, so the now marker sits
 * inside today's column with the shift you are in (and the range is stable across re-renders). */
export function dayStart(now: Date, zone: string = currentZone()): Date {
  return wallTimeToInstant(`${instantToWallTime(now, zone).slice(0, 10)}T00:00`, zone);
}
