// The "try it" box: a sample alert -> which rule matched and what it would do (POST
// /api/v1/routing-rules/test; nothing is stored or sent).
import { useState, type FormEvent } from "react";
import { routingRules as api } from "../api/endpoints";
import { SEVERITIES, type RoutingOutcome, type Severity } from "../api/types";
import { ErrorBanner, Field, SeverityBadge } from "../components/ui";
import { parseLabels } from "./labels";

export function TryRouting() {
  const [service, setService] = useState("");
  const [severity, setSeverity] = useState<Severity>("high");
  const [labels, setLabels] = useState("");
  const [integrationTeam, setIntegrationTeam] = useState("");
  const [outcome, setOutcome] = useState<RoutingOutcome | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function run(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      const alert = { service, severity, message: "", labels: parseLabels(labels) };
      setOutcome(await api.test({ alert, integration_team: integrationTeam.trim() || null }));
    } catch (cause) {
      setOutcome(null);
      setError(cause);
    }
  }
  return (
    <section className="card space-y-3" aria-label="Try it">
      <h2 className="font-semibold">Try it</h2>
      <form className="flex flex-wrap items-end gap-2" onSubmit={run} aria-label="Sample alert">
        <Field label="Service"><input className="input w-44" required value={service} onChange={(e) => setService(e.target.value)} /></Field>
        <Field label="Severity">
          <select className="input" value={severity} onChange={(e) => setSeverity(e.target.value as Severity)}>
            {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </Field>
        <Field label="Labels (name=value, one a line)">
          <textarea className="input h-16 w-56 font-mono text-xs" value={labels} onChange={(e) => setLabels(e.target.value)} />
        </Field>
        <Field label="Integration's team (optional)"><input className="input w-40" value={integrationTeam} onChange={(e) => setIntegrationTeam(e.target.value)} /></Field>
        <button className="btn-primary" type="submit">Route it</button>
      </form>
      <ErrorBanner error={error} />
      {outcome && (
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm" data-testid="routing-outcome">
          <dt className="font-medium">Matched</dt>
          <dd>{outcome.matched.length ? outcome.matched.map((r) => r.name).join(" → ") : "no rule"}</dd>
          <dt className="font-medium">Team</dt>
          <dd>
            {outcome.unrouted ? <span className="font-semibold text-rose-700 dark:text-rose-300">unrouted: nobody would be paged</span> : outcome.team}
            {outcome.routed_by && <span className="ml-2 text-xs text-slate-500">by {outcome.routed_by}</span>}
          </dd>
          <dt className="font-medium">Severity</dt>
          <dd><SeverityBadge severity={outcome.severity} /></dd>
          <dt className="font-medium">Labels</dt>
          <dd className="font-mono text-xs">{Object.entries(outcome.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "—"}</dd>
          {outcome.suppressed && (<><dt className="font-medium">Suppressed</dt><dd>by {outcome.suppressed_by?.name}: stored, no incident, no page</dd></>)}
        </dl>
      )}
    </section>
  );
}
