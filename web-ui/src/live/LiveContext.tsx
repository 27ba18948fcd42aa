// Push updates for the whole console: one event stream per tab (GET /api/v1/incidents/events
// through nginx and the gateway), polling only while it is down (reconnect with backoff).
// A pushed change invalidates the TanStack queries of its kind (keys starting with "incidents" or
// "alerts"), and the dashboard's aggregates at most every AGGREGATES_MS; pages read them with
// `useLiveData`. The tab title and the optional critical alarm
// live here.
import type { QueryKey } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { incidents as incidentsApi } from "../api/endpoints";
import { clearSession, loadSession } from "../api/session";
import { POLL_MS, queryClient, useApiQuery, type Loaded } from "../hooks";
import { alarm, loadPrefs, savePrefs, type LivePrefs } from "./alarm";
import { CHANGE_KINDS, createBatcher, newCriticals, tabTitle, type ChangeKind } from "./coalesce";
import { backoffMs, readEventStream, StreamRefused } from "./sse";
import type { paths } from "../api/openapi";

// Written out: the stream is text/event-stream read with fetch() (sse.ts), which openapi-fetch's
// JSON client does not express; the path is the typed `paths["/api/v1/incidents/events"]`.
export const EVENTS_URL = "/api/v1/incidents/events" satisfies keyof paths;
const BATCH_MS = 100;
// Aggregates (the dashboard: keys starting with "dashboard") follow pushed changes too, but at
// most once per this window per kind: an alert storm must not recompute them for every batch.
export const AGGREGATES_MS = 5_000;

export type LiveMode = "connecting" | "live" | "polling";

interface LiveState {
  mode: LiveMode;
  /** Bumped on every change of that kind (a resync bumps both). */
  versions: Record<ChangeKind, number>;
  paused: boolean;
  setPaused: (paused: boolean) => void;
  prefs: LivePrefs;
  setPrefs: (prefs: LivePrefs) => void;
}

const LiveContext = createContext<LiveState | null>(null);
const NOT_LIVE: LiveState = {
  mode: "polling",
  versions: { incidents: 0, alerts: 0 },
  paused: false,
  setPaused: () => undefined,
  prefs: { notify: false, sound: false },
  setPrefs: () => undefined,
};

function useEventStream(enabled: boolean): { mode: LiveMode; versions: Record<ChangeKind, number> } {
  const [mode, setMode] = useState<LiveMode>(enabled ? "connecting" : "polling");
  const [versions, setVersions] = useState<Record<ChangeKind, number>>({ incidents: 0, alerts: 0 });
  useEffect(() => {
    if (!enabled) return;
    const abort = new AbortController();
    const aggregates = createBatcher(() => void queryClient.invalidateQueries({ queryKey: ["dashboard"] }), AGGREGATES_MS);
    const batcher = createBatcher((kinds) => {
      kinds.forEach((kind) => aggregates.add(kind));
      // Shown queries of these kinds refetch now; paused (disabled) ones are only marked stale
      // and refetch when they are enabled again.
      kinds.forEach((kind) => void queryClient.invalidateQueries({ queryKey: [kind] }));
      setVersions((current) => {
        const next = { ...current };
        kinds.forEach((kind) => (next[kind] += 1));
        return next;
      });
    }, BATCH_MS);
    const onEvent = ({ event }: { event: string }) => {
      if (event === "ready") {
        setMode("live");
        attempt = 0;
      }
      // Connected again: whatever changed while we were polling (or down) is refetched once.
      if (event === "ready" || event === "resync") CHANGE_KINDS.forEach((kind) => batcher.add(kind));
      else if ((CHANGE_KINDS as string[]).includes(event)) batcher.add(event as ChangeKind);
    };
    let attempt = 0;
    (async () => {
      while (!abort.signal.aborted) {
        const session = loadSession();
        if (!session) return;
        try {
          await readEventStream(EVENTS_URL, { Authorization: `Bearer ${session.token}` }, onEvent, abort.signal);
        } catch (cause) {
          if (abort.signal.aborted) return;
          if (cause instanceof StreamRefused && cause.status === 401) {
            clearSession();
            return;
          }
        }
        setMode("polling");
        await new Promise((resolve) => {
          const timer = window.setTimeout(resolve, backoffMs(attempt++));
          abort.signal.addEventListener("abort", () => window.clearTimeout(timer));
        });
      }
    })();
    return () => {
      abort.abort();
      batcher.stop();
      aggregates.stop();
    };
  }, [enabled]);
  return { mode, versions };
}

/** Tab title with the open count, and the opt-in alarm for a new critical incident; both keep
 *  going while the rows are paused (the pause is for the person's clicks, not for the alarm). */
function useOpenCountAndAlarm(live: LiveState): void {
  const { mode, prefs } = live;
  const seen = useRef<Set<string> | null>(null);
  const pollMs = mode === "live" ? null : POLL_MS;
  const open = useApiQuery(["incidents", "open-count"], () => incidentsApi.list({ status: ["open"], limit: 1 }), { pollMs });
  const alarmOn = prefs.notify || prefs.sound;
  const criticals = useApiQuery(
    ["incidents", "new-criticals"],
    () => incidentsApi.list({ severity: "critical", sort: "-created_at", limit: 20 }),
    { pollMs, enabled: alarmOn },
  );
  useEffect(() => {
    document.title = tabTitle(open.data?.total ?? null);
  }, [open.data]);
  useEffect(() => () => void (document.title = tabTitle(null)), []);
  // Switched off: forget the list, so switching on again takes a fresh baseline and does not
  // ring for what came in meanwhile.
  useEffect(() => {
    if (!alarmOn) queryClient.removeQueries({ queryKey: ["incidents", "new-criticals"] });
  }, [alarmOn]);
  const criticalsData = alarmOn ? criticals.data : undefined;
  useEffect(() => {
    if (!criticalsData) {
      seen.current = null;
      return;
    }
    const { fresh, seen: next } = newCriticals(seen.current, criticalsData.items);
    seen.current = next;
    fresh.forEach((id) => {
      const incident = criticalsData.items.find((item) => item.id === id);
      if (incident) alarm(incident, prefs);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [criticalsData]);
}

/** `enabled` false: no stream and no title count (the gateway answers nothing but a password
 *  change until the default password is changed). */
export function LiveProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const { mode, versions } = useEventStream(enabled);
  const [paused, setPaused] = useState(false);
  const [prefs, setPrefsState] = useState<LivePrefs>(() => loadPrefs());
  const setPrefs = useCallback((next: LivePrefs) => {
    savePrefs(next);
    setPrefsState(next);
  }, []);
  const value = useMemo(() => ({ mode, versions, paused, setPaused, prefs, setPrefs }), [mode, versions, paused, prefs, setPrefs]);
  return (
    <LiveContext.Provider value={value}>
      {enabled && <TitleAndAlarm state={value} />}
      {children}
    </LiveContext.Provider>
  );
}

function TitleAndAlarm({ state }: { state: LiveState }) {
  useOpenCountAndAlarm(state);
  return null;
}

export function useLive(): LiveState {
  return useContext(LiveContext) ?? NOT_LIVE;
}

/**
 * Data that follows the platform. `key` starts with the kind of change that invalidates it
 * ("incidents" or "alerts"): refetched when such a change is pushed, polled every `fallbackMs`
 * only while the stream is down, and still (neither) while paused.
 */
export function useLiveData<T>(key: [ChangeKind, ...unknown[]], loader: () => Promise<T>, fallbackMs: number = POLL_MS): Loaded<T> {
  const live = useLive();
  const pollMs = live.mode === "live" || live.paused ? null : fallbackMs;
  return useApiQuery(key as QueryKey, loader, { pollMs, enabled: !live.paused });
}
