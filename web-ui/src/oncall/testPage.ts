// "Send me a test page": one POST /api/v1/notify per contact method of a person, on the channel
// escalation would use for it, then the delivery state of each (the outbox delivers after the 202).
import { ApiError } from "../api/client";
import type { NotificationRecord, OncallUser } from "../api/types";

// The same mapping as escalation's (oncall-escalation escalation/targets.py): email, slack and
// webhook have channels of their own; sms and phone go to the mock channel; a person without
// contact methods is paged at their email on the mock channel.
const CHANNEL_OF_METHOD: Record<string, string> = { email: "email", slack: "slack", webhook: "webhook" };

export interface Contact {
  method: string;
  channel: string;
  recipient: string;
}

export function contactsOf(user: Pick<OncallUser, "email" | "contact_methods">): Contact[] {
  const contacts: Contact[] = [];
  for (const method of user.contact_methods) {
    const channel = CHANNEL_OF_METHOD[method.type] ?? "mock";
    if (!contacts.some((c) => c.channel === channel && c.recipient === method.address)) {
      contacts.push({ method: method.type, channel, recipient: method.address });
    }
  }
  return contacts.length ? contacts : [{ method: "email (no contact methods)", channel: "mock", recipient: user.email }];
}

export type Outcome =
  | { state: "sending" }
  | { state: "refused"; message: string }
  | { state: "pending" | "delivered" | "failed"; notification: NotificationRecord };

export interface Notifier {
  notify: (body: { channel: string; recipient: string; subject: string; message: string; idempotency_key: string }) => Promise<NotificationRecord>;
  get: (id: string) => Promise<NotificationRecord>;
}

export function testPageBody(user: Pick<OncallUser, "name">, contact: Contact, sentBy: string, attempt: string) {
  return {
    channel: contact.channel,
    recipient: contact.recipient,
    subject: `[Nightwatch] Test page for ${user.name}`,
    message: `A test page sent by ${sentBy} from the console to check ${user.name}'s ${contact.method} (${contact.recipient}). No action needed.`,
    idempotency_key: `test-page-${attempt}-${contact.channel}-${contact.recipient}`,
  };
}

/** Send one test page per contact; `report` gets each contact's outcome as it changes. */
export async function sendTestPages(
  api: Notifier,
  user: Pick<OncallUser, "name" | "email" | "contact_methods">,
  sentBy: string,
  attempt: string,
  report: (index: number, outcome: Outcome) => void,
): Promise<(NotificationRecord | null)[]> {
  const contacts = contactsOf(user);
  return Promise.all(
    contacts.map(async (contact, index) => {
      report(index, { state: "sending" });
      try {
        const notification = await api.notify(testPageBody(user, contact, sentBy, attempt));
        report(index, { state: notification.status, notification });
        return notification;
      } catch (cause) {
        report(index, { state: "refused", message: cause instanceof ApiError ? cause.display : String(cause) });
        return null;
      }
    }),
  );
}

/** Reload each still-pending notification once; the caller repeats while any is pending. */
export async function refreshPending(api: Notifier, outcomes: Outcome[], report: (index: number, outcome: Outcome) => void): Promise<boolean> {
  let stillPending = false;
  await Promise.all(
    outcomes.map(async (outcome, index) => {
      if (outcome.state !== "pending") return;
      try {
        const notification = await api.get(outcome.notification.id);
        report(index, { state: notification.status, notification });
        if (notification.status === "pending") stillPending = true;
      } catch {
        stillPending = true; // a passing error: keep the last known state, look again
      }
    }),
  );
  return stillPending;
}
