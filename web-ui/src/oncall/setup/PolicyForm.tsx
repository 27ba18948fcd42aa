// An escalation policy built with a form: levels, targets picked by name, waits, repeats.
import { useState } from "react";
import { oncallSetup } from "../../api/endpoints";
import type { EscalationPolicy, OncallUser, PolicyCreate, Schedule, Team } from "../../api/types";
import { Field } from "../../components/ui";
import { SetupForm } from "./parts";
import {
  TARGET_TYPES,
  newLevel,
  newPolicyForm,
  policyCreateBody,
  policyErrors,
  policyFormOf,
  policyUpdateBody,
  type LevelState,
  type PolicyFormState,
  type TargetState,
  type TargetType,
} from "./policyForm";

interface Choices {
  schedules: Schedule[];
  users: OncallUser[];
  teams: Team[];
}

/** What a target of each type can be, by name (team targets are stored by team name). */
function optionsFor(type: TargetType, { schedules, users, teams }: Choices): { value: string; label: string }[] {
  if (type === "schedule") return schedules.map((s) => ({ value: s.id, label: `${s.name} (team ${s.team.name})` }));
  if (type === "user") return users.map((u) => ({ value: u.id, label: `${u.name} (${u.email})` }));
  return teams.map((t) => ({ value: t.name, label: t.name }));
}

function TargetRow({ target, choices, label, onChange, onRemove }: { target: TargetState; choices: Choices; label: string; onChange: (t: TargetState) => void; onRemove: () => void }) {
  const options = optionsFor(target.type, choices);
  return (
    <div className="flex flex-wrap items-end gap-2" role="group" aria-label={label}>
      <Field label="Page">
        <select className="input" aria-label="Page" value={target.type} onChange={(e) => onChange({ type: e.target.value as TargetType, id: "" })}>
          {TARGET_TYPES.map((t) => <option key={t.type} value={t.type}>{t.label}</option>)}
        </select>
      </Field>
      <Field label="Who">
        <select className="input" aria-label="Who" value={target.id} onChange={(e) => onChange({ ...target, id: e.target.value })}>
          <option value="">choose…</option>
          {/* A stored target whose schedule, person or team is gone stays visible. */}
          {target.id && !options.some((o) => o.value === target.id) && <option value={target.id}>(not found: {target.id})</option>}
          {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      </Field>
      <button type="button" className="btn-secondary" onClick={onRemove}>Remove target</button>
    </div>
  );
}

function LevelFields({ index, level, choices, team, onChange, onRemove }: { index: number; level: LevelState; choices: Choices; team: string; onChange: (l: LevelState) => void; onRemove?: () => void }) {
  const label = `Level ${index + 1}`;
  const setTarget = (i: number, t: TargetState) => onChange({ ...level, targets: level.targets.map((old, j) => (j === i ? t : old)) });
  return (
    <fieldset className="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-700" aria-label={label}>
      <legend className="px-1 text-sm font-semibold">{label}</legend>
      {level.targets.map((target, i) => (
        <TargetRow key={i} target={target} choices={choices} label={`${label} target ${i + 1}`} onChange={(t) => setTarget(i, t)}
          onRemove={() => onChange({ ...level, targets: level.targets.filter((_, j) => j !== i) })} />
      ))}
      <div className="flex flex-wrap items-end gap-2">
        <button type="button" className="btn-secondary" onClick={() => onChange({ ...level, targets: [...level.targets, newLevel(team).targets[0]] })}>Add target</button>
        <Field label="Minutes to wait for an acknowledgement before the next level">
          <input className="input w-24" inputMode="numeric" value={level.delay_minutes} onChange={(e) => onChange({ ...level, delay_minutes: e.target.value })} />
        </Field>
        {onRemove && <button type="button" className="btn-secondary" onClick={onRemove}>Remove {label}</button>}
      </div>
    </fieldset>
  );
}

export function PolicyForm({ policy, teams, schedules, users, onSaved, onCancel }: { policy?: EscalationPolicy; teams: Team[]; schedules: Schedule[]; users: OncallUser[]; onSaved: () => Promise<void>; onCancel: () => void }) {
  const [form, setForm] = useState<PolicyFormState>(() => (policy ? policyFormOf(policy, teams) : newPolicyForm(teams[0]?.name ?? "")));
  const set = (patch: Partial<PolicyFormState>) => setForm((f) => ({ ...f, ...patch }));
  const choices = { schedules, users, teams };
  async function save(raw?: unknown) {
    if (policy) await oncallSetup.updatePolicy(policy.id, (raw ?? policyUpdateBody(form)) as Omit<PolicyCreate, "team">);
    else await oncallSetup.createPolicy((raw ?? policyCreateBody(form)) as PolicyCreate);
    await onSaved();
  }
  return (
    <SetupForm title={policy ? `Edit escalation policy ${policy.name}` : "New escalation policy"} errors={() => policyErrors(form)} onSave={save} onCancel={onCancel}
      json={() => (policy ? policyUpdateBody(form) : policyCreateBody(form))}>
      <div className="grid gap-2 sm:grid-cols-3">
        <Field label="Policy name"><input className="input" value={form.name} onChange={(e) => set({ name: e.target.value })} /></Field>
        <Field label="Team">
          <select className="input" aria-label="Team" value={form.team} disabled={!!policy} onChange={(e) => set({ team: e.target.value })}>
            <option value="">choose…</option>
            {teams.map((t) => <option key={t.id} value={t.name}>{t.name}</option>)}
          </select>
        </Field>
        <Field label="Repeat all levels (times)"><input className="input" inputMode="numeric" value={form.repeat_count} onChange={(e) => set({ repeat_count: e.target.value })} /></Field>
      </div>
      <Field label="Description"><input className="input" value={form.description} onChange={(e) => set({ description: e.target.value })} /></Field>
      {form.levels.map((level, index) => (
        <LevelFields key={index} index={index} level={level} choices={choices} team={form.team}
          onChange={(l) => set({ levels: form.levels.map((old, i) => (i === index ? l : old)) })}
          onRemove={form.levels.length > 1 ? () => set({ levels: form.levels.filter((_, i) => i !== index) }) : undefined} />
      ))}
      <button type="button" className="btn-secondary" onClick={() => set({ levels: [...form.levels, newLevel(form.team)] })}>Add level</button>
    </SetupForm>
  );
}
