// Silences (Alertmanager's model): matchers + a time range + who + why. Matching alerts are
// stored and shown as silenced but open no incident and page nobody. Responders may create them.
import { useState, type FormEvent } from "react";
import { silences as api } from "../api/endpoints";
import type { Silence, SilenceStatus } from "../api/types";
import { Empty, ErrorBanner, Field, Loading } from "../components/ui";
import { formatTime } from "../format";
import { useApiQuery, invalidate } from "../hooks";
import { useAction } from "./useAction";

const DURATIONS: [string, number][] = [["1 hour", 1], ["2 hours", 2], ["4 hours", 4], ["8 hours", 8], ["1 day", 24], ["1 week", 168]];
const STATUS_STYLE: Record<SilenceStatus, string> = {
  active: "bg-violet-100 text-violet-900 dark:bg-violet-950 dark:text-violet-200",
  pending: "bg-sky-100 text-sky-900 dark:bg-sky-950 dark:text-sky-200",
  expired: "bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300",
};

export function LifecycleBadge({ status }: { status: SilenceStatus }) {
  return <span className={`rounded px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[status]}`}>{status}</span>;
}

/** One matcher a line (blank lines ignored). */
export function matcherLines(text: string): string[] {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

export function SilencesSection({ canWrite }: { canWrite: boolean }) {
  const [status, setStatus] = useState<SilenceStatus | "">("active");
  const list = useApiQuery(["suppression", "silences", status], () => api.list(status || undefined), { pollMs: 10000 });
  const { error, act } = useAction(() => invalidate("suppression"));
  const [matchers, setMatchers] = useState("");
  const [hours, setHours] = useState(2);
  const [comment, setComment] = useState("");
  async function create(event: FormEvent) {
    event.preventDefault();
    const ends_at = new Date(Date.now() + hours * 3600_000).toISOString();
    if (await act(() => api.create({ matchers: matcherLines(matchers), ends_at, comment }))) {
      setMatchers("");
      setComment("");
    }
  }
  const rows: Silence[] = list.data ?? [];
  return (
    <section className="card space-y-3" aria-label="Silences">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-semibold">Silences</h2>
        <Field label="Show">
          <select className="input" value={status} onChange={(e) => setStatus(e.target.value as SilenceStatus | "")}>
            <option value="active">active</option>
            <option value="pending">pending</option>
            <option value="expired">expired</option>
            <option value="">all</option>
          </select>
        </Field>
      </div>
      <ErrorBanner error={error ?? list.error} />
      {list.loading && !list.data ? <Loading /> : rows.length ? (
        <div className="relative overflow-x-auto">
          <table className="min-w-full">
            <thead><tr><th className="th">Matchers</th><th className="th">Status</th><th className="th">Starts</th><th className="th">Ends</th><th className="th">By</th><th className="th">Comment</th><th className="th"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {rows.map((silence) => (
                <tr key={silence.id} data-testid="silence-row">
                  <td className="td font-mono text-xs">{silence.matchers.map((m) => <div key={m}>{m}</div>)}</td>
                  <td className="td"><LifecycleBadge status={silence.status} /></td>
                  <td className="td whitespace-nowrap">{formatTime(silence.starts_at)}</td>
                  <td className="td whitespace-nowrap">{formatTime(silence.ends_at)}</td>
                  <td className="td">{silence.created_by}{silence.expired_by && <div className="text-xs text-slate-500">expired by {silence.expired_by}</div>}</td>
                  <td className="td">{silence.comment}</td>
                  <td className="td text-right">
                    {canWrite && silence.status !== "expired" && (
                      <button type="button" className="btn-secondary" onClick={() => act(() => api.expire(silence.id))}>Expire</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : list.data ? <Empty>No {status || ""} silences.</Empty> : null}
      {canWrite && (
        <form className="flex flex-wrap items-end gap-2" onSubmit={create} aria-label="New silence">
          <Field label="Matchers (one a line)">
            <textarea className="input h-20 w-72 font-mono text-xs" required placeholder={'service="checkout"\nseverity=~"medium|low"'} value={matchers} onChange={(e) => setMatchers(e.target.value)} />
          </Field>
          <Field label="For">
            <select className="input" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
              {DURATIONS.map(([label, h]) => <option key={h} value={h}>{label}</option>)}
            </select>
          </Field>
          <Field label="Comment"><input className="input w-56" required value={comment} onChange={(e) => setComment(e.target.value)} /></Field>
          <button className="btn-primary" type="submit">Silence</button>
        </form>
      )}
    </section>
  );
}
