import { useState } from "react";
import { oncall } from "../api/endpoints";
import type { Schedule } from "../api/types";
import { ErrorBanner } from "../components/ui";
import { formatTime } from "../format";
import { useApiQuery } from "../hooks";

/** A schedule's overrides that have not ended, each with Delete (issue #15 item 4: an overlap
 * error says "remove it first", so the page must be able to). */
export function OverridesList({ schedule, canEdit, onChanged }: { schedule: Schedule; canEdit: boolean; onChanged: () => void }) {
  const loaded = useApiQuery(["oncall", "overrides", schedule.id], () => oncall.overrides(schedule.id, new Date().toISOString()), { pollMs: 30_000 });
  const [error, setError] = useState<unknown>(null);

  async function remove(id: string, who: string) {
    if (!window.confirm(`Delete the override of ${who} on ${schedule.name}?`)) return;
    setError(null);
    try {
      await oncall.deleteOverride(schedule.id, id);
      onChanged();
    } catch (cause) {
      setError(cause);
    } finally {
      await loaded.reload();
    }
  }

  const overrides = loaded.data ?? [];
  return (
    <div className="mt-2" aria-label={`Overrides of ${schedule.name}`} role="group" data-testid="overrides">
      <ErrorBanner error={loaded.error ?? error} onRetry={loaded.reload} />
      {overrides.length > 0 && (
        <ul className="space-y-1 text-sm">
          <li className="text-xs font-semibold uppercase text-slate-500 dark:text-slate-400">Overrides</li>
          {overrides.map((override) => (
            <li key={override.id} data-testid="override" className="flex flex-wrap items-center justify-between gap-2">
              <span>
                <strong>{override.user.name}</strong> covers {formatTime(override.start)} → {formatTime(override.end)}
              </span>
              {canEdit && (
                <button type="button" className="btn-secondary" onClick={() => remove(override.id, override.user.name)}>
                  Delete override
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
