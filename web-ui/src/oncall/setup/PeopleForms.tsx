// The person form (contact methods, the console account they sign in with) and the team form
// (members picked by name).
import { useState } from "react";
import { oncallSetup } from "../../api/endpoints";
import type { Account, ContactType, OncallUser, Team } from "../../api/types";
import { Field } from "../../components/ui";
import { PeopleList, SetupForm } from "./parts";
import {
  CONTACT_TYPES,
  memberChanges,
  newPersonForm,
  newTeamForm,
  personBody,
  personErrors,
  personFormOf,
  teamCreateBody,
  teamErrors,
  teamFormOf,
  type PersonFormState,
  type TeamFormState,
} from "./peopleForms";
import { timeZones } from "./scheduleForm";

export function PersonForm({ user, users, accounts, onSaved, onCancel }: { user?: OncallUser; users: OncallUser[]; accounts: Account[] | null; onSaved: () => Promise<void>; onCancel: () => void }) {
  const [form, setForm] = useState<PersonFormState>(() => (user ? personFormOf(user) : newPersonForm()));
  const set = (patch: Partial<PersonFormState>) => setForm((f) => ({ ...f, ...patch }));
  const setContact = (index: number, patch: Partial<PersonFormState["contacts"][number]>) =>
    set({ contacts: form.contacts.map((c, i) => (i === index ? { ...c, ...patch } : c)) });
  const holderOf = (username: string) => users.find((u) => u.id !== user?.id && u.console_account?.toLowerCase() === username.toLowerCase());
  async function save() {
    await (user ? oncallSetup.updateUser(user.id, personBody(form)) : oncallSetup.createUser(personBody(form)));
    await onSaved();
  }
  return (
    <SetupForm title={user ? `Edit ${user.name}` : "New person"} errors={() => personErrors(form)} onSave={save} onCancel={onCancel}>
      <div className="grid gap-2 sm:grid-cols-3">
        <Field label="Name"><input className="input" value={form.name} onChange={(e) => set({ name: e.target.value })} /></Field>
        <Field label="Email"><input className="input" type="email" value={form.email} onChange={(e) => set({ email: e.target.value })} /></Field>
        <Field label="Time zone">
          <select className="input" aria-label="Time zone" value={form.timezone} onChange={(e) => set({ timezone: e.target.value })}>
            {timeZones().map((zone) => <option key={zone} value={zone}>{zone}</option>)}
          </select>
        </Field>
      </div>
      <div className="space-y-1" role="group" aria-label="Contact methods">
        <span className="text-xs font-medium text-slate-600 dark:text-slate-300">Contact methods (paged in this order)</span>
        {form.contacts.map((contact, index) => (
          <div key={index} className="flex flex-wrap items-center gap-2" role="group" aria-label={`Contact method ${index + 1}`}>
            <select className="input w-auto" aria-label="Type" value={contact.type} onChange={(e) => setContact(index, { type: e.target.value as ContactType })}>
              {CONTACT_TYPES.map((t) => <option key={t.type} value={t.type}>{t.label}</option>)}
            </select>
            <input className="input min-w-0 flex-1" aria-label="Address" value={contact.address}
              placeholder={CONTACT_TYPES.find((t) => t.type === contact.type)?.placeholder} onChange={(e) => setContact(index, { address: e.target.value })} />
            <button type="button" className="btn-secondary" onClick={() => set({ contacts: form.contacts.filter((_, i) => i !== index) })}>Remove</button>
          </div>
        ))}
        <button type="button" className="btn-secondary" onClick={() => set({ contacts: [...form.contacts, { type: "email", address: "" }] })}>Add contact method</button>
      </div>
      <Field label="Console account (signs in as this person: My on-call, Send me a test page)">
        <select className="input" aria-label="Console account" value={form.console_account} onChange={(e) => set({ console_account: e.target.value })}>
          <option value="">none</option>
          {form.console_account && !accounts?.some((a) => a.username === form.console_account) && <option value={form.console_account}>{form.console_account} (no such account)</option>}
          {(accounts ?? []).map((a) => {
            const holder = holderOf(a.username);
            return <option key={a.id} value={a.username} disabled={!!holder}>{a.username}{holder ? ` (linked to ${holder.name})` : ""}</option>;
          })}
        </select>
      </Field>
    </SetupForm>
  );
}

export function TeamForm({ team, users, onSaved, onCancel }: { team?: Team; users: OncallUser[]; onSaved: () => Promise<void>; onCancel: () => void }) {
  const [form, setForm] = useState<TeamFormState>(() => (team ? teamFormOf(team) : newTeamForm()));
  const set = (patch: Partial<TeamFormState>) => setForm((f) => ({ ...f, ...patch }));
  async function save() {
    if (!team) {
      await oncallSetup.createTeam(teamCreateBody(form));
    } else {
      const body = teamCreateBody(form);
      await oncallSetup.updateTeam(team.id, { name: body.name, description: body.description });
      const { add, remove } = memberChanges(teamFormOf(team).members, form.members);
      for (const userId of add) await oncallSetup.addMember(team.id, userId);
      for (const userId of remove) await oncallSetup.removeMember(team.id, userId);
    }
    await onSaved();
  }
  return (
    <SetupForm title={team ? `Edit team ${team.name}` : "New team"} errors={() => teamErrors(form)} onSave={save} onCancel={onCancel}>
      <div className="grid gap-2 sm:grid-cols-2">
        <Field label="Team name (lowercase, - and _)"><input className="input" value={form.name} placeholder="payments-oncall" onChange={(e) => set({ name: e.target.value })} /></Field>
        <Field label="Description"><input className="input" value={form.description} onChange={(e) => set({ description: e.target.value })} /></Field>
      </div>
      <PeopleList label="Members" users={users} value={form.members} onChange={(members) => set({ members })} />
    </SetupForm>
  );
}
