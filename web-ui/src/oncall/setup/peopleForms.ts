// The person and team forms: contact methods, the console-account link, members picked by name.
import type { ContactType, OncallUser, Team, TeamCreate, UserCreate } from "../../api/types";

export const CONTACT_TYPES: { type: ContactType; label: string; placeholder: string }[] = [
  { type: "email", label: "Email", placeholder: "alice@example.com" },
  { type: "sms", label: "SMS", placeholder: "+1 555 0100" },
  { type: "phone", label: "Phone call", placeholder: "+1 555 0100" },
  { type: "slack", label: "Slack", placeholder: "@alice or U024BE7LH" },
  { type: "webhook", label: "Webhook", placeholder: "https://hooks.example.com/alice" },
];

export interface ContactState {
  type: ContactType;
  address: string;
}

export interface PersonFormState {
  name: string;
  email: string;
  timezone: string;
  contacts: ContactState[];
  /** The console account (username) this person signs in with; "" = none. */
  console_account: string;
}

export function newPersonForm(): PersonFormState {
  return { name: "", email: "", timezone: "UTC", contacts: [{ type: "email", address: "" }], console_account: "" };
}

export function personFormOf(user: OncallUser): PersonFormState {
  return {
    name: user.name,
    email: user.email,
    timezone: user.timezone,
    contacts: user.contact_methods.map((m) => ({ type: m.type, address: m.address })),
    console_account: user.console_account ?? "",
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ()./-]{3,32}$/;

function contactError(contact: ContactState, index: number): string | null {
  const label = `Contact method ${index + 1}`;
  const address = contact.address.trim();
  if (!address) return `${label}: fill in the address or remove the row.`;
  if (contact.type === "email" && !EMAIL.test(address)) return `${label}: "${address}" is not an email address.`;
  if ((contact.type === "sms" || contact.type === "phone") && !PHONE.test(address)) return `${label}: "${address}" is not a phone number (digits, spaces, an optional leading +).`;
  if (contact.type === "webhook" && !/^https?:\/\/\S+$/.test(address)) return `${label}: a webhook address is an http(s) URL.`;
  return null;
}

export function personErrors(form: PersonFormState): string[] {
  const errors: string[] = [];
  if (!form.name.trim()) errors.push("Give the person a name.");
  if (!EMAIL.test(form.email.trim())) errors.push("Fill in a valid email address (it identifies the person).");
  form.contacts.forEach((contact, index) => {
    const error = contactError(contact, index);
    if (error) errors.push(error);
  });
  return errors;
}

export function personBody(form: PersonFormState): UserCreate {
  return {
    name: form.name.trim(),
    email: form.email.trim(),
    timezone: form.timezone,
    contact_methods: form.contacts.map((c) => ({ type: c.type, address: c.address.trim() })),
    console_account: form.console_account || null,
  };
}

export interface TeamFormState {
  name: string;
  description: string;
  /** Member user ids, picked by name. */
  members: string[];
}

export function newTeamForm(): TeamFormState {
  return { name: "", description: "", members: [] };
}

export function teamFormOf(team: Team): TeamFormState {
  return { name: team.name, description: team.description, members: team.members.map((m) => m.user_id) };
}

const TEAM_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function teamErrors(form: TeamFormState): string[] {
  const name = form.name.trim();
  if (!name) return ["Give the team a name."];
  if (!TEAM_NAME.test(name)) return [`Team names are lowercase letters, digits, - and _ (e.g. "payments-oncall"), not "${name}".`];
  return [];
}

export function teamCreateBody(form: TeamFormState): TeamCreate {
  return { name: form.name.trim(), description: form.description.trim(), members: form.members.map((user_id) => ({ user_id, role: "member" })) };
}

/** The member requests an edit needs: who joins, who leaves. */
export function memberChanges(before: string[], after: string[]): { add: string[]; remove: string[] } {
  return { add: after.filter((id) => !before.includes(id)), remove: before.filter((id) => !after.includes(id)) };
}
