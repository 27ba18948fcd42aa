// Turning a burst of change events into few reloads, and spotting new critical incidents.
import type { Incident } from "../api/types";

export type ChangeKind = "incidents" | "alerts";
export const CHANGE_KINDS: ChangeKind[] = ["incidents", "alerts"];

/**
 * Calls `flush` at once for the first change of a kind (no added latency), then at most once per
 * `intervalMs` for that kind while changes keep coming: an alert storm costs a page a few reloads
 * a second, not one per event. Each kind has its own clock, so the alerts signal that follows
 * every new incident never delays the next incident's row.
 */
export function createBatcher(flush: (kinds: ChangeKind[]) => void, intervalMs: number) {
  const pending = new Set<ChangeKind>();
  const timers = new Map<ChangeKind, ReturnType<typeof setTimeout>>();
  const tick = (kind: ChangeKind) => {
    if (!pending.has(kind)) {
      timers.delete(kind);
      return;
    }
    pending.delete(kind);
    flush([kind]);
    timers.set(kind, setTimeout(() => tick(kind), intervalMs));
  };
  return {
    add(kind: ChangeKind) {
      pending.add(kind);
      if (!timers.has(kind)) tick(kind);
    },
    stop() {
      timers.forEach((timer) => clearTimeout(timer));
      timers.clear();
      pending.clear();
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
