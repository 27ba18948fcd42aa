// Settings > Integrations: where Alertmanager, Grafana and PagerDuty-speaking tools send (issue 13).
// The key exists outside the tool only in the answer to create / rotate: shown once, with the
// ready snippet, then only its prefix.
import { useState, type FormEvent } from "react";
import { integrations as api } from "../api/endpoints";
import { INTEGRATION_TYPES, type IntegrationType, type IntegrationWithKey } from "../api/types";
import { Empty, ErrorBanner, Field, Loading } from "../components/ui";
import { formatTime } from "../format";
import { useApiQuery } from "../hooks";

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (http, old browser): the text is selectable anyway
    }
  }
  return (
    <button type="button" className="btn-secondary" onClick={copy} aria-label={`Copy ${label}`}>
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

function Shown({ created }: { created: IntegrationWithKey }) {
  return (
    <div role="status" className="space-y-2 rounded border border-emerald-400 bg-emerald-50 p-2 text-sm dark:border-emerald-700 dark:bg-emerald-950">
      <p>Copy the key of <strong>{created.name}</strong> now — it is shown only once:</p>
      <div className="flex items-center gap-2">
        <code data-testid="integration-key" className="block flex-1 break-all font-mono">{created.key}</code>
        <CopyButton text={created.key} label="key" />
      </div>
      <div className="flex items-center gap-2">
        <code data-testid="integration-url" className="block flex-1 break-all font-mono">{created.inbound_url}</code>
        <CopyButton text={created.inbound_url} label="URL" />
      </div>
      <div className="flex items-start gap-2">
        <pre data-testid="integration-snippet" className="flex-1 overflow-x-auto whitespace-pre-wrap font-mono text-xs">{created.snippet}</pre>
        <CopyButton text={created.snippet} label="snippet" />
      </div>
    </div>
  );
}

function counts(events: Record<string, number>): string {
  const parts = Object.entries(events).map(([outcome, n]) => `${n} ${outcome}`);
  return parts.length ? parts.join(", ") : "none yet";
}

export function IntegrationsSection() {
  const list = useApiQuery(["integrations"], () => api.list(), { pollMs: 10000 });
  const [type, setType] = useState<IntegrationType>("alertmanager");
  const [name, setName] = useState("");
  const [service, setService] = useState("");
  const [team, setTeam] = useState("");
  const [autoResolve, setAutoResolve] = useState(true);
  const [created, setCreated] = useState<IntegrationWithKey | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function act(action: () => Promise<IntegrationWithKey | unknown>) {
    setError(null);
    try {
      const answer = await action();
      if (answer && typeof answer === "object" && "key" in answer) setCreated(answer as IntegrationWithKey);
      await list.reload();
      return true;
    } catch (cause) {
      setError(cause);
      return false;
    }
  }
  async function create(event: FormEvent) {
    event.preventDefault();
    const body = { type, name, default_service: service, default_team: team.trim() || null, default_severity: "medium" as const, auto_resolve: autoResolve };
    if (await act(() => api.create(body))) {
      setName("");
      setService("");
      setTeam("");
    }
  }
  return (
    <section className="card space-y-3" aria-label="Integrations">
      <h2 className="font-semibold">Integrations</h2>
      <p className="text-sm text-slate-500 dark:text-slate-400">
        Alertmanager, Grafana and anything that sends to PagerDuty's Events API send here, each with its own key.
      </p>
      <ErrorBanner error={error ?? list.error} />
      {created && <Shown created={created} />}
      {list.loading && !list.data ? <Loading /> : list.data?.length ? (
        <div className="relative overflow-x-auto">
          <table className="min-w-full">
            <thead><tr><th className="th">Name</th><th className="th">Type</th><th className="th">Inbound URL</th><th className="th">Last event</th><th className="th">Events</th><th className="th"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.map((integration) => (
                <tr key={integration.id} data-testid="integration-row">
                  <td className="td">{integration.name}<div className="text-xs text-slate-500">{integration.default_service}{integration.auto_resolve ? " · auto-resolve" : ""}</div></td>
                  <td className="td">{integration.type}</td>
                  <td className="td"><span className="break-all font-mono text-xs">{integration.inbound_url}</span> <CopyButton text={integration.inbound_url} label={`URL of ${integration.name}`} /></td>
                  <td className="td">{integration.last_event_at ? formatTime(integration.last_event_at) : "never"}</td>
                  <td className="td">{counts(integration.event_counts)}</td>
                  <td className="td whitespace-nowrap text-right">
                    <CopyButton text={integration.snippet} label={`snippet of ${integration.name}`} />{" "}
                    <button type="button" className="btn-secondary" onClick={() => window.confirm(`Rotate the key of ${integration.name}? The old key stops working.`) && act(() => api.rotateKey(integration.id))}>Rotate key</button>{" "}
                    <button type="button" className="btn-secondary" onClick={() => window.confirm(`Delete ${integration.name}?`) && act(() => api.remove(integration.id))}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : list.data ? <Empty>No integrations yet.</Empty> : null}
      <form className="flex flex-wrap items-end gap-2" onSubmit={create} aria-label="New integration">
        <Field label="Type">
          <select className="input" value={type} onChange={(e) => setType(e.target.value as IntegrationType)}>
            {INTEGRATION_TYPES.map((t) => <option key={t}>{t}</option>)}
          </select>
        </Field>
        <Field label="Integration name"><input className="input w-40" required value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Default service"><input className="input w-40" required value={service} onChange={(e) => setService(e.target.value)} /></Field>
        <Field label="Default team"><input className="input w-32" placeholder="optional" value={team} onChange={(e) => setTeam(e.target.value)} /></Field>
        <label className="flex items-center gap-1 text-sm"><input type="checkbox" checked={autoResolve} onChange={(e) => setAutoResolve(e.target.checked)} /> Auto-resolve</label>
        <button className="btn-primary" type="submit">Create integration</button>
      </form>
    </section>
  );
}
