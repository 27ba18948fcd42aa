import { useSearchParams } from "react-router-dom";
import { keepPreviousData, QueryClient, useQuery, type QueryKey } from "@tanstack/react-query";
import { useCallback } from "react";

export const POLL_MS = 3000;

/**
 * One cache per tab for every answer of the API (TanStack Query). A query's key starts with the
 * endpoint group it reads (`["incidents", …]`, `["oncall", …]`, see api/endpoints.ts), so a change
 * invalidates a whole group: `invalidate("oncall")`, and a pushed event invalidates its kind
 * (live/LiveContext.tsx). Passed to each hook explicitly, so a component works without a provider.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    // A failed load shows its error at once (with Retry) instead of retrying behind the person's back.
    queries: { retry: false, refetchOnWindowFocus: false },
  },
});

/** Refetch every shown query of these groups (and mark the hidden ones stale). */
export function invalidate(...groups: string[]): Promise<void> {
  return Promise.all(groups.map((group) => queryClient.invalidateQueries({ queryKey: [group] }))).then(() => undefined);
}

export interface Loaded<T> {
  data: T | undefined;
  error: Error | null;
  /** The first load, or a load for other filters (the previous answer stays on screen meanwhile). */
  loading: boolean;
  reload: () => Promise<void>;
}

export interface ApiQueryOptions {
  /** Refetch every so often while the tab is visible; null: only when invalidated. */
  pollMs?: number | null;
  /** false: keep what is shown, fetch nothing (a paused live view). */
  enabled?: boolean;
}

/**
 * Load `key` once, then again on invalidation and every `pollMs`. A failed refresh keeps the last
 * good data and shows the error beside it; new filters keep the old rows until the new ones come.
 */
export function useApiQuery<T>(key: QueryKey, load: () => Promise<T>, { pollMs = null, enabled = true }: ApiQueryOptions = {}): Loaded<T> {
  const query = useQuery(
    { queryKey: key, queryFn: load, refetchInterval: pollMs ?? false, enabled, placeholderData: keepPreviousData },
    queryClient,
  );
  const { refetch } = query;
  const reload = useCallback(async () => {
    await refetch();
  }, [refetch]);
  return { data: query.data, error: query.error, loading: query.isPending || query.isPlaceholderData, reload };
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
