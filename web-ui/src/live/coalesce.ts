// Turning a burst of change events into few reloads, and spotting new critical incidents.
import type { Incident } from "../api/types";

export type ChangeKind = "incidents" | "alerts";
export const CHANGE_KINDS: ChangeKind[] = ["incidents", "alerts"];

/**
 * Calls `flush` at once for the first change (no added latency), then at most once per
 * `intervalMs` with every kind that changed meanwhile: an alert storm costs a page a few reloads
 * a second, not one per event.
 */
export function createBatcher(flush: (kinds: ChangeKind[]) => void, intervalMs: number) {
  let pending = new Set<ChangeKind>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const tick = () => {
    if (pending.size === 0) {
      timer = null;
      return;
    }
    const kinds = [...pending].sort();
    pending = new Set();
    flush(kinds);
    timer = setTimeout(tick, intervalMs);
  };
  return {
    add(kind: ChangeKind) {
      pending.add(kind);
      if (timer === null) tick();
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending = new Set();
    },
  };
}

/**
 * The critical incidents not seen before. The first look only learns what is already there
 * (`seen` is null): opening the console must not ring for old incidents.
 */
export function newCriticals(seen: Set<string> | null, items: Pick<Incident, "id" | "severity">[]): { fresh: string[]; seen: Set<string> } {
  const ids = items.filter((item) => item.severity === "critical").map((item) => item.id);
  const next = new Set(seen ?? []);
  ids.forEach((id) => next.add(id));
  return { fresh: seen === null ? [] : ids.filter((id) => !seen.has(id)), seen: next };
}

/** The tab's title: the number of open (unacknowledged) incidents first, so it shows in the tab. */
export function tabTitle(openCount: number | null): string {
  return openCount ? `(${openCount}) Nightwatch` : "Nightwatch";
}
