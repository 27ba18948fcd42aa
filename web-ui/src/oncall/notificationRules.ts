// A person's notification rules as the console edits them: a draft per urgency (steps "after N
// minutes via contact method X") and quiet hours, turned into the PUT body of
// /api/v1/users/{id}/notification-rules. The API checks everything again (422 with the reason).
import type { ContactMethod, NotificationRulesIn, NotificationRulesRead, Urgency } from "../api/types";

export const URGENCIES: { urgency: Urgency; label: string; severities: string }[] = [
  { urgency: "high", label: "High urgency", severities: "critical and high incidents" },
  { urgency: "low", label: "Low urgency", severities: "medium and low incidents" },
];

export interface DraftStep {
  /** Stable within the editor (React keys); not sent. */
  key: number;
  urgency: Urgency;
  delay: string;
  contactMethodId: string;
}

export interface Draft {
  steps: DraftStep[];
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
}

let nextKey = 1;

export function newStep(urgency: Urgency, methods: ContactMethod[], after: DraftStep[]): DraftStep {
  const last = after.filter((s) => s.urgency === urgency).at(-1);
  const delay = last ? String((Number(last.delay) || 0) + 5) : "0";
  return { key: nextKey++, urgency, delay, contactMethodId: methods[0]?.id ?? "" };
}

export function draftOf(read: NotificationRulesRead): Draft {
  return {
    steps: read.rules.map((rule) => ({
      key: nextKey++,
      urgency: rule.urgency,
      delay: String(rule.delay_minutes),
      contactMethodId: rule.contact_method_id,
    })),
    quiet: read.quiet_hours !== null,
    quietStart: read.quiet_hours?.start ?? "22:00",
    quietEnd: read.quiet_hours?.end ?? "07:00",
  };
}

/** The request body; a delay that is not a whole number is sent as it is, so the API names it. */
export function bodyOf(draft: Draft): NotificationRulesIn {
  return {
    rules: draft.steps.map((step) => ({
      urgency: step.urgency,
      delay_minutes: /^\d+$/.test(step.delay.trim()) ? Number(step.delay.trim()) : (step.delay as unknown as number),
      contact_method_id: step.contactMethodId,
    })),
    quiet_hours: draft.quiet ? { start: draftTime(draft.quietStart), end: draftTime(draft.quietEnd) } : null,
  };
}

// <input type="time"> may answer HH:MM:SS; the API takes HH:MM.
function draftTime(value: string): string {
  return value.slice(0, 5);
}

export function methodLabel(method: Pick<ContactMethod, "type" | "address">): string {
  return `${method.type} · ${method.address}`;
}

/** One sentence per urgency: what happens when this person is paged. */
export function summary(draft: Draft, methods: ContactMethod[], urgency: Urgency): string {
  const steps = draft.steps.filter((s) => s.urgency === urgency);
  if (steps.length === 0) return "No rules: every contact method at once.";
  const label = (id: string) => {
    const method = methods.find((m) => m.id === id);
    return method ? methodLabel(method) : "a contact method that no longer exists";
  };
  const sorted = [...steps].sort((a, b) => Number(a.delay) - Number(b.delay));
  return sorted
    .map((s) => `${Number(s.delay) === 0 ? "immediately" : `after ${s.delay} min`} via ${label(s.contactMethodId)}`)
    .join(", then ") + ", until someone acknowledges.";
}
