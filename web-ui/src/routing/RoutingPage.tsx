// Routing (issue 16): the ordered rules (first match wins), the catch-all team, what routed
// nowhere, and the "try it" box. Everyone reads; admins change.
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { routingRules as api } from "../api/endpoints";
import type { RoutingRule, RoutingRuleList } from "../api/types";
import { useAuth } from "../auth";
import { Empty, ErrorBanner, Field, Loading, PageHeader } from "../components/ui";
import { useApiQuery } from "../hooks";
import { useAction } from "../pages/useAction";
import { RuleForm } from "./RuleForm";
import { TryRouting } from "./TryRouting";

function actions(rule: RoutingRule): string[] {
  const out: string[] = [];
  if (rule.set_team) out.push(`team → ${rule.set_team}`);
  if (rule.set_severity) out.push(`severity → ${rule.set_severity}`);
  for (const [k, v] of Object.entries(rule.add_labels)) out.push(`+ ${k}=${v}`);
  if (rule.suppress) out.push("suppress");
  return out;
}

/** What routes nowhere, said where it cannot be missed (those incidents page nobody). */
export function RoutingBanner({ data }: { data: RoutingRuleList }) {
  const { catch_all: catchAll, unrouted_last_day: unrouted } = data;
  const problems: string[] = [];
  if (!catchAll.team) problems.push("No catch-all team: alerts no label, rule or integration routes are unrouted.");
  else if (catchAll.exists === false) problems.push(`The catch-all team "${catchAll.team}" does not exist in on-call: alerts no rule routes are unrouted.`);
  if (unrouted > 0) problems.push(`${unrouted} alert${unrouted === 1 ? "" : "s"} routed nowhere in the last 24 hours: their incidents paged nobody.`);
  if (!problems.length) return null;
  return (
    <div role="alert" data-testid="unrouted-banner" className="rounded-md border border-rose-300 bg-rose-50 p-3 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100">
      {problems.map((p) => <p key={p}>{p}</p>)}
      {unrouted > 0 && <Link className="underline" to="/incidents?team=unrouted">Show the unrouted incidents</Link>}
    </div>
  );
}

function CatchAllForm({ current, onSave }: { current: string | null; onSave: (team: string | null) => Promise<boolean> }) {
  const [team, setTeam] = useState(current ?? "");
  function save(event: FormEvent) {
    event.preventDefault();
    void onSave(team.trim() || null);
  }
  return (
    <form className="flex items-end gap-2" onSubmit={save} aria-label="Catch-all team">
      <Field label="Catch-all team"><input className="input w-44" placeholder="none" value={team} onChange={(e) => setTeam(e.target.value)} /></Field>
      <button className="btn-secondary" type="submit">Set</button>
    </form>
  );
}

export function RoutingPage() {
  const isAdmin = useAuth().session?.user.role === "admin";
  const list = useApiQuery(["routing", "rules"], () => api.list(), { pollMs: 15_000 });
  const { error, act } = useAction(list.reload);
  const [editing, setEditing] = useState<string | null>(null);
  const rules = list.data?.items ?? [];
  function move(index: number, by: number) {
    const ids = rules.map((r) => r.id);
    const [id] = ids.splice(index, 1);
    ids.splice(index + by, 0, id);
    void act(() => api.reorder(ids));
  }
  return (
    <div className="space-y-4">
      <PageHeader title="Routing" />
      {list.data && <RoutingBanner data={list.data} />}
      <ErrorBanner error={error ?? list.error} />
      <section className="card space-y-3" aria-label="Routing rules">
        <div className="flex flex-wrap items-end justify-between gap-2">
          <div>
            <h2 className="font-semibold">Rules</h2>
            <p className="text-xs text-slate-500">First match wins; a rule with “continue” lets the next matching rules add what it did not set. labels.team from the sender comes first.</p>
          </div>
          {list.data && (isAdmin ? <CatchAllForm key={list.data.catch_all.team ?? ""} current={list.data.catch_all.team} onSave={(team) => act(() => api.setCatchAll(team))} /> : (
            <p className="text-sm">Catch-all team: <strong>{list.data.catch_all.team ?? "none"}</strong></p>
          ))}
        </div>
        {list.loading && !list.data ? <Loading /> : rules.length ? (
          <div className="relative overflow-x-auto">
            <table className="min-w-full">
              <thead><tr><th className="th">#</th><th className="th">Name</th><th className="th">Matchers</th><th className="th">Actions</th><th className="th">Continue</th><th className="th"><span className="sr-only">Change</span></th></tr></thead>
              <tbody>
                {rules.map((rule, index) => editing === rule.id ? (
                  <tr key={rule.id}><td className="td" colSpan={6}>
                    <RuleForm rule={rule} onCancel={() => setEditing(null)} onSave={async (body) => {
                      const saved = await act(() => api.replace(rule.id, body));
                      if (saved) setEditing(null);
                      return saved;
                    }} />
                  </td></tr>
                ) : (
                  <tr key={rule.id} data-testid="routing-rule-row">
                    <td className="td">{index + 1}</td>
                    <td className="td">{rule.name}</td>
                    <td className="td font-mono text-xs">{rule.matchers.length ? rule.matchers.map((m) => <div key={m}>{m}</div>) : <span className="text-slate-500">every alert</span>}</td>
                    <td className="td text-sm">{actions(rule).map((a) => <div key={a}>{a}</div>)}</td>
                    <td className="td">{rule.continue ? "yes" : "—"}</td>
                    <td className="td whitespace-nowrap text-right">
                      {isAdmin && (
                        <span className="inline-flex gap-1">
                          <button type="button" className="btn-secondary" aria-label={`Move ${rule.name} up`} disabled={index === 0} onClick={() => move(index, -1)}>↑</button>
                          <button type="button" className="btn-secondary" aria-label={`Move ${rule.name} down`} disabled={index === rules.length - 1} onClick={() => move(index, 1)}>↓</button>
                          <button type="button" className="btn-secondary" onClick={() => setEditing(rule.id)}>Edit</button>
                          <button type="button" className="btn-secondary" onClick={() => act(() => api.remove(rule.id))}>Delete</button>
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : list.data ? <Empty>No routing rules: alerts go to labels.team, their integration's team or the catch-all.</Empty> : null}
        {isAdmin && <RuleForm onSave={(body) => act(() => api.create(body))} />}
      </section>
      <TryRouting />
    </div>
  );
}
