import type { ReactNode } from "react";
import { ApiError } from "../api/client";
import type { IncidentStatus, Severity } from "../api/types";
import { humanize } from "../format";

export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const text = error instanceof ApiError ? error.display : error instanceof Error ? error.message : String(error);
  return (
    <div role="alert" className="flex items-start justify-between gap-3 rounded-md border border-rose-300 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-200">
      <span>{text}</span>
      {onRetry && (
        <button type="button" className="underline" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p role="status" className="py-6 text-center text-sm text-slate-500 dark:text-slate-400">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="py-6 text-center text-sm text-slate-500 dark:text-slate-400">{children}</p>;
}

const SEVERITY_STYLE: Record<Severity, string> = {
  critical: "bg-rose-600 text-white",
  high: "bg-orange-500 text-white",
  medium: "bg-amber-300 text-amber-950",
  low: "bg-slate-300 text-slate-900 dark:bg-slate-600 dark:text-slate-100",
};

export const SEVERITY_COLOR: Record<Severity, string> = {
  critical: "#e11d48",
  high: "#f97316",
  medium: "#fbbf24",
  low: "#94a3b8",
};

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span className={`inline-block rounded px-1.5 py-0.5 text-xs font-semibold uppercase ${SEVERITY_STYLE[severity] ?? ""}`}>
      {severity}
    </span>
  );
}

const STATUS_STYLE: Record<IncidentStatus, string> = {
  open: "border-rose-500 text-rose-700 dark:text-rose-300",
  acknowledged: "border-amber-500 text-amber-700 dark:text-amber-300",
  in_progress: "border-sky-500 text-sky-700 dark:text-sky-300",
  resolved: "border-emerald-500 text-emerald-700 dark:text-emerald-300",
};

export function StatusBadge({ status }: { status: IncidentStatus }) {
  return (
    <span data-testid="status" className={`inline-block rounded-full border px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[status] ?? ""}`}>
      {humanize(status)}
    </span>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
      <h1 className="text-xl font-semibold">{title}</h1>
      <div className="flex flex-wrap items-center gap-2">{children}</div>
    </div>
  );
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="flex flex-col gap-1 text-xs font-medium text-slate-600 dark:text-slate-300">
      {label}
      {children}
    </label>
  );
}

export function Pager({ offset, limit, total, count, onChange }: { offset: number; limit: number; total: number | null; count: number; onChange: (offset: number) => void }) {
  const hasNext = total !== null ? offset + limit < total : count === limit;
  return (
    <nav aria-label="Pagination" className="mt-3 flex items-center justify-between text-sm">
      <span className="text-slate-500 dark:text-slate-400">
        {count === 0 ? "0" : `${offset + 1}–${offset + count}`}
        {total !== null ? ` of ${total}` : ""}
      </span>
      <span className="flex gap-2">
        <button type="button" className="btn-secondary" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
          Previous
        </button>
        <button type="button" className="btn-secondary" disabled={!hasNext} onClick={() => onChange(offset + limit)}>
          Next
        </button>
      </span>
    </nav>
  );
}

/** The crescent mark (inline SVG: no emoji font needed on the server or the phone). */
export function Logo({ className = "h-6 w-6" }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true">
      <circle cx="16" cy="16" r="14" fill="#1e293b" />
      <path d="M20 7a10 10 0 1 0 5 16A8 8 0 0 1 20 7z" fill="#facc15" />
    </svg>
  );
}
