// Push updates for the whole console: one event stream per tab (GET /api/v1/incidents/events
// through nginx and the gateway), polling only while it is down (reconnect with backoff).
// Pages read `useLiveData`; the tab title and the optional critical alarm live here.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { incidents as incidentsApi } from "../api/endpoints";
import { clearSession, loadSession } from "../api/session";
import { POLL_MS, usePolling, type Loaded } from "../hooks";
import { alarm, loadPrefs, savePrefs, type LivePrefs } from "./alarm";
import { CHANGE_KINDS, createBatcher, newCriticals, tabTitle, type ChangeKind } from "./coalesce";
import { backoffMs, readEventStream, StreamRefused } from "./sse";

export const EVENTS_URL = "/api/v1/incidents/events";
const BATCH_MS = 100;

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
    const batcher = createBatcher((kinds) => {
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
    };
  }, [enabled]);
  return { mode, versions };
}

/** Tab title with the open count, and the opt-in alarm for a new critical incident; both keep
 *  going while the rows are paused (the pause is for the person's clicks, not for the alarm). */
function useOpenCountAndAlarm(live: LiveState): void {
  const { mode, prefs } = live;
  const state = { ...live, paused: false };
  const seen = useRef<Set<string> | null>(null);
  const interval = mode === "live" ? null : POLL_MS;
  const open = useLiveLoader(() => incidentsApi.list({ status: ["open"], limit: 1 }), [], ["incidents"], state, interval);
  const alarmOn = prefs.notify || prefs.sound;
  const criticals = useLiveLoader(
    () => (alarmOn ? incidentsApi.list({ severity: "critical", sort: "-created_at", limit: 20 }) : Promise.resolve(null)),
    [alarmOn],
    ["incidents"],
    state,
    interval,
  );
  useEffect(() => {
    document.title = tabTitle(open.data?.total ?? null);
  }, [open.data]);
  useEffect(() => () => void (document.title = tabTitle(null)), []);
  useEffect(() => {
    if (!criticals.data) {
      seen.current = null;
      return;
    }
    const { fresh, seen: next } = newCriticals(seen.current, criticals.data.items);
    seen.current = next;
    fresh.forEach((id) => {
      const incident = criticals.data!.items.find((item) => item.id === id);
      if (incident) alarm(incident, prefs);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [criticals.data]);
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

function useLiveLoader<T>(loader: () => Promise<T>, deps: unknown[], kinds: ChangeKind[], live: LiveState, intervalMs: number | null): Loaded<T> {
  const loaded = usePolling(loader, deps, live.paused ? null : intervalMs);
  const version = kinds.map((kind) => live.versions[kind]).join(",");
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (!live.paused) void loaded.reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, live.paused]);
  return loaded;
}

/**
 * Data that follows the platform: reloaded when a change of one of `kinds` is pushed; polled
 * every `fallbackMs` only while the stream is down; still (neither) while paused.
 */
export function useLiveData<T>(loader: () => Promise<T>, deps: unknown[], kinds: ChangeKind[], fallbackMs: number = POLL_MS): Loaded<T> {
  const live = useLive();
  return useLiveLoader(loader, deps, kinds, live, live.mode === "live" ? null : fallbackMs);
}
