// The escalation policy form: levels of targets picked by name, delays, repeats.
import type { EscalationPolicy, EscalationTarget, PolicyCreate, Team } from "../../api/types";

export type TargetType = EscalationTarget["type"];
export const TARGET_TYPES: { type: TargetType; label: string }[] = [
  { type: "schedule", label: "On-call of schedule" },
  { type: "team_oncall", label: "On-call of team" },
  { type: "user", label: "Person" },
  { type: "team", label: "Everyone in team" },
];

export interface TargetState {
  type: TargetType;
  /** A schedule or user id, or a team name (team, team_oncall), picked from a list; "" = not yet. */
  id: string;
}

export interface LevelState {
  delay_minutes: string;
  targets: TargetState[];
}

export interface PolicyFormState {
  team: string;
  name: string;
  description: string;
  repeat_count: string;
  levels: LevelState[];
}

export function newLevel(team: string): LevelState {
  return { delay_minutes: "5", targets: [{ type: "team_oncall", id: team }] };
}

export function newPolicyForm(team: string): PolicyFormState {
  return { team, name: team ? `${team} escalation` : "", description: "", repeat_count: "0", levels: [newLevel(team)] };
}

/** A saved policy as form state. The service stores a team target by the team's id: shown (and
 * picked) by name here, which the service accepts as well. */
export function policyFormOf(policy: EscalationPolicy, teams: Pick<Team, "id" | "name">[] = []): PolicyFormState {
  const byName = (target: EscalationTarget): TargetState =>
    target.type === "team" || target.type === "team_oncall"
      ? { type: target.type, id: teams.find((t) => t.id === target.id)?.name ?? target.id }
      : { ...target };
  return {
    team: policy.team,
    name: policy.name,
    description: policy.description,
    repeat_count: String(policy.repeat_count),
    levels: policy.levels.map((level) => ({ delay_minutes: String(level.delay_minutes), targets: level.targets.map(byName) })),
  };
}

function wholeIn(text: string, low: number, high: number): boolean {
  return /^\d+$/.test(text.trim()) && Number(text) >= low && Number(text) <= high;
}

export function policyErrors(form: PolicyFormState): string[] {
  const errors: string[] = [];
  if (!form.team) errors.push("Pick the team whose incidents this policy escalates.");
  if (!form.name.trim()) errors.push("Give the policy a name.");
  if (!wholeIn(form.repeat_count, 0, 9)) errors.push("Repeats must be a whole number from 0 to 9.");
  if (form.levels.length === 0) errors.push("Add at least one level.");
  if (form.levels.length > 20) errors.push("A policy has at most 20 levels.");
  form.levels.forEach((level, index) => {
    const label = `Level ${index + 1}`;
    if (level.targets.length === 0) errors.push(`${label}: add someone to page.`);
    if (level.targets.length > 10) errors.push(`${label}: at most 10 targets.`);
    if (level.targets.some((t) => !t.id)) errors.push(`${label}: pick who each target is.`);
    if (!wholeIn(level.delay_minutes, 1, 1440)) errors.push(`${label}: the wait must be a whole number of minutes from 1 to 1440.`);
  });
  return errors;
}

function levelsBody(form: PolicyFormState): PolicyCreate["levels"] {
  return form.levels.map((level) => ({ delay_minutes: Number(level.delay_minutes), targets: level.targets.map((t) => ({ type: t.type, id: t.id })) }));
}

export function policyCreateBody(form: PolicyFormState): PolicyCreate {
  return { team: form.team, name: form.name.trim(), description: form.description.trim(), repeat_count: Number(form.repeat_count), levels: levelsBody(form) };
}

/** An edit keeps the team (the API does not move a policy). */
export function policyUpdateBody(form: PolicyFormState): Omit<PolicyCreate, "team"> {
  const { team: _team, ...rest } = policyCreateBody(form);
  return rest;
}
