// Acting on the selected incidents at once, and what happened to each.
import type { BulkItem, BulkResult } from "../api/types";
import { humanize } from "../format";

export type BulkAction = "acknowledge" | "resolve";

export function BulkBar({ count, busy, onAction, onClear }: { count: number; busy: boolean; onAction: (action: BulkAction) => void; onClear: () => void }) {
  return (
    <div role="region" aria-label="Selected incidents" className="card mb-3 flex flex-wrap items-center gap-2 py-2">
      <span className="text-sm font-medium" data-testid="selected-count">
        {count} selected
      </span>
      <button type="button" className="btn-primary" disabled={busy || count === 0} onClick={() => onAction("acknowledge")}>
        Acknowledge selected
      </button>
      <button type="button" className="btn-secondary" disabled={busy || count === 0} onClick={() => onAction("resolve")}>
        Resolve selected
      </button>
      <button type="button" className="text-sm underline" disabled={busy || count === 0} onClick={onClear}>
        Clear selection
      </button>
    </div>
  );
}

function outcome(item: BulkItem): string {
  if (item.result === "ok") return humanize(item.incident?.status ?? "done");
  if (item.result === "not_found") return "not found (deleted or a wrong id)";
  const allowed = item.allowed_transitions?.length ? item.allowed_transitions.map(humanize).join(", ") : "nothing (resolved is final)";
  return `already ${humanize(item.current_status ?? "changed")}; allowed next: ${allowed}`;
}

/** "2 acknowledged, 1 not allowed, 1 not found", with the incidents that were not changed. */
export function summarize(result: BulkResult): string {
  const done = result.action === "acknowledge" ? "acknowledged" : "resolved";
  const refused = result.results.filter((item) => item.result === "invalid_transition").length;
  const missing = result.results.filter((item) => item.result === "not_found").length;
  const parts = [`${result.ok} ${done}`];
  if (refused) parts.push(`${refused} not allowed`);
  if (missing) parts.push(`${missing} not found`);
  return parts.join(", ");
}

export function BulkOutcome({ result, titles, onDismiss }: { result: BulkResult; titles: Record<string, string>; onDismiss: () => void }) {
  const failed = result.results.filter((item) => item.result !== "ok");
  return (
    <div role="status" data-testid="bulk-outcome" className={`mb-3 rounded-md border px-3 py-2 text-sm ${failed.length ? "border-amber-400 bg-amber-50 text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200" : "border-emerald-400 bg-emerald-50 text-emerald-900 dark:border-emerald-700 dark:bg-emerald-950 dark:text-emerald-200"}`}>
      <div className="flex items-start justify-between gap-3">
        <strong>{summarize(result)}</strong>
        <button type="button" className="underline" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
      {failed.length > 0 && (
        <ul className="mt-1 list-disc pl-5">
          {failed.map((item) => (
            <li key={item.incident_id}>
              {titles[item.incident_id] ?? item.incident_id}: {outcome(item)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
