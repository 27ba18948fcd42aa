import { useSearchParams } from "react-router-dom";
import { useCallback, useEffect, useRef, useState } from "react";

export const POLL_MS = 3000;

export interface Loaded<T> {
  data: T | undefined;
  error: Error | null;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Load once, then again every `intervalMs` while the page is visible (the "live" view).
 * A failed refresh keeps the last good data and shows the error beside it.
 */
export function usePolling<T>(loader: () => Promise<T>, deps: unknown[], intervalMs: number | null = POLL_MS): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const loaderRef = useRef(loader);
  loaderRef.current = loader;
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const result = await loaderRef.current();
      if (mine !== generation.current) return; // a newer load (filters changed) wins
      setData(result);
      setError(null);
    } catch (cause) {
      if (mine !== generation.current) return;
      setError(cause as Error);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setLoading(true);
    void reload();
    if (!intervalMs) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState !== "hidden") void reload();
    }, intervalMs);
    return () => window.clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, intervalMs, reload]);

  return { data, error, loading, reload };
}

/**
 * The page's filters live in the URL (shareable, survive a reload). `setFilter` changes one and
 * goes back to the first page by dropping `pageParam` (a cursor or an offset).
 */
export function useFilterParams(pageParam: string) {
  const [params, setParams] = useSearchParams();
  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name !== pageParam) next.delete(pageParam);
    setParams(next, { replace: true });
  }
  return { params, setFilter };
}
