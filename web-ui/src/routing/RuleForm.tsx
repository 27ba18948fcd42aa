// Create or edit a routing rule: matchers (Alertmanager's syntax, one a line) and actions.
import { useState, type FormEvent } from "react";
import { SEVERITIES, type RoutingRule, type RoutingRuleCreate, type Severity } from "../api/types";
import { Field } from "../components/ui";
import { matcherLines } from "../pages/SilencesSection";
import { labelLines, parseLabels } from "./labels";

export function RuleForm({ rule, onSave, onCancel }: {
  rule?: RoutingRule;
  onSave: (body: RoutingRuleCreate) => Promise<boolean>;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(rule?.name ?? "");
  const [matchers, setMatchers] = useState(rule?.matchers.join("\n") ?? "");
  const [team, setTeam] = useState(rule?.set_team ?? "");
  const [severity, setSeverity] = useState<Severity | "">(rule?.set_severity ?? "");
  const [labels, setLabels] = useState(labelLines(rule?.add_labels ?? {}));
  const [suppress, setSuppress] = useState(rule?.suppress ?? false);
  const [goOn, setGoOn] = useState(rule?.continue ?? false);
  const [labelError, setLabelError] = useState("");
  async function save(event: FormEvent) {
    event.preventDefault();
    let add_labels: Record<string, string>;
    try {
      add_labels = parseLabels(labels);
      setLabelError("");
    } catch (cause) {
      setLabelError((cause as Error).message);
      return;
    }
    const body: RoutingRuleCreate = {
      name, matchers: matcherLines(matchers), set_team: team.trim() || null,
      set_severity: severity || null, add_labels, suppress, continue: goOn,
    };
    if ((await onSave(body)) && !rule) {
      setName(""); setMatchers(""); setTeam(""); setSeverity(""); setLabels(""); setSuppress(false); setGoOn(false);
    }
  }
  return (
    <form className="flex flex-wrap items-end gap-2" onSubmit={save} aria-label={rule ? `Edit rule ${rule.name}` : "New routing rule"}>
      <Field label="Name"><input className="input w-44" required value={name} onChange={(e) => setName(e.target.value)} /></Field>
      <Field label="Matchers (one a line)">
        <textarea className="input h-16 w-64 font-mono text-xs" placeholder={'service=~"payments-.*"\nenv!="staging"'} value={matchers} onChange={(e) => setMatchers(e.target.value)} />
      </Field>
      <Field label="Set team"><input className="input w-36" value={team} onChange={(e) => setTeam(e.target.value)} /></Field>
      <Field label="Set severity">
        <select className="input" value={severity} onChange={(e) => setSeverity(e.target.value as Severity | "")}>
          <option value="">keep</option>
          {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </Field>
      <Field label="Add labels (name=value)">
        <textarea className="input h-16 w-44 font-mono text-xs" value={labels} onChange={(e) => setLabels(e.target.value)} />
      </Field>
      <label className="flex items-center gap-1 text-sm"><input type="checkbox" checked={suppress} onChange={(e) => setSuppress(e.target.checked)} /> Suppress</label>
      <label className="flex items-center gap-1 text-sm"><input type="checkbox" checked={goOn} onChange={(e) => setGoOn(e.target.checked)} /> Continue</label>
      <button className="btn-primary" type="submit">{rule ? "Save" : "Add rule"}</button>
      {onCancel && <button className="btn-secondary" type="button" onClick={onCancel}>Cancel</button>}
      {labelError && <p role="alert" className="w-full text-sm text-rose-700">{labelError}</p>}
    </form>
  );
}
