// Settings → Audit log (admin): who did what to accounts, keys and settings, and every login.
import { useState } from "react";
import { admin as adminApi } from "../api/endpoints";
import { formatTime } from "../format";
import { useApiQuery } from "../hooks";
import { Empty, ErrorBanner, Field, Loading, Pager } from "./ui";

const LIMIT = 20;
const ACTIONS = ["", "login", "login.failed", "account", "api_key", "password", "settings"];

function describe(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

export function AuditLog() {
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [offset, setOffset] = useState(0);
  const page = useApiQuery(["admin", "audit", actor, action, offset], () =>
    adminApi.audit({ actor: actor.trim() || undefined, action: action || undefined, limit: LIMIT, offset }),
  );
  const entries = page.data?.items;
  return (
    <section className="card space-y-3" aria-label="Audit log">
      <h2 className="font-semibold">Audit log</h2>
      <div className="flex flex-wrap items-end gap-2">
        <Field label="Actor">
          <input className="input w-44" value={actor} onChange={(e) => { setActor(e.target.value); setOffset(0); }} />
        </Field>
        <Field label="Action">
          <select className="input w-40" value={action} onChange={(e) => { setAction(e.target.value); setOffset(0); }}>
            {ACTIONS.map((a) => <option key={a} value={a}>{a || "any"}</option>)}
          </select>
        </Field>
      </div>
      <ErrorBanner error={page.error} onRetry={page.reload} />
      {page.loading && !page.data ? <Loading /> : entries?.length ? (
        <div className="relative overflow-x-auto">
          <table className="min-w-full">
            <thead><tr><th className="th">When</th><th className="th">Actor</th><th className="th">Action</th><th className="th">Target</th><th className="th">Address</th><th className="th">Details</th></tr></thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id}>
                  <td className="td whitespace-nowrap">{formatTime(entry.at)}</td>
                  <td className="td">{entry.actor}</td>
                  <td className="td font-mono">{entry.action}</td>
                  <td className="td break-all">{entry.target ?? "—"}</td>
                  <td className="td font-mono" title={entry.request_id ? `request ${entry.request_id}` : undefined}>{entry.address ?? "—"}</td>
                  <td className="td text-sm">{describe(entry.details) || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : page.data ? <Empty>No entries match.</Empty> : null}
      {page.data && <Pager offset={offset} limit={LIMIT} total={page.data.total} count={entries?.length ?? 0} onChange={setOffset} />}
    </section>
  );
}
