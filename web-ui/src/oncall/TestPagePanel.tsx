// "Send me a test page": a page to each of a person's contact methods, and what became of each.
import { useEffect, useRef, useState } from "react";
import { notifications } from "../api/endpoints";
import type { OncallUser } from "../api/types";
import { useAuth } from "../auth";
import { contactsOf, refreshPending, sendTestPages, type Outcome } from "./testPage";

const RECHECK_MS = 1_000;

function OutcomeText({ outcome }: { outcome: Outcome | undefined }) {
  if (!outcome) return <span className="text-slate-500">not sent</span>;
  switch (outcome.state) {
    case "sending":
      return <span className="text-slate-500">sending…</span>;
    case "refused":
      return <span className="text-rose-700 dark:text-rose-300">refused: {outcome.message}</span>;
    case "pending":
      return <span className="text-amber-700 dark:text-amber-300">accepted, waiting for delivery (attempt {outcome.notification.attempts} of {outcome.notification.max_attempts})</span>;
    case "delivered":
      return <span className="font-semibold text-emerald-700 dark:text-emerald-300">delivered</span>;
    case "failed":
      return <span className="font-semibold text-rose-700 dark:text-rose-300">failed: {outcome.notification.last_error ?? "no reason given"}</span>;
  }
}

export function TestPagePanel({ user, self }: { user: OncallUser; self: boolean }) {
  const { session, can } = useAuth();
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [busy, setBusy] = useState(false);
  const outcomesRef = useRef(outcomes);
  outcomesRef.current = outcomes;
  const contacts = contactsOf(user);
  const report = (index: number, outcome: Outcome) =>
    setOutcomes((current) => current.map((old, i) => (i === index ? outcome : old)));

  useEffect(() => setOutcomes([]), [user.id]);

  // Follow the accepted pages until each is delivered or failed.
  const pending = outcomes.some((o) => o.state === "pending");
  useEffect(() => {
    if (!pending) return;
    const timer = window.setTimeout(() => void refreshPending(notifications, outcomesRef.current, report), RECHECK_MS);
    return () => window.clearTimeout(timer);
  }, [pending, outcomes]);

  async function send() {
    setBusy(true);
    setOutcomes(contacts.map(() => ({ state: "sending" })));
    await sendTestPages(notifications, user, session?.user.username ?? "someone", `${Date.now()}`, report);
    setBusy(false);
  }

  return (
    <section className="card space-y-2" aria-label="Test page">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-semibold">Test page</h2>
        {can("admin") ? (
          <button type="button" className="btn-primary" disabled={busy} onClick={send}>
            {self ? "Send me a test page" : `Send ${user.name} a test page`}
          </button>
        ) : (
          <span className="text-sm text-slate-500">Sending a test page needs the admin role (POST /api/v1/notify).</span>
        )}
      </div>
      <p className="text-sm text-slate-600 dark:text-slate-300">One notification to each contact method, on the channel a real page would use.</p>
      <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="test-page-results">
        <thead className="text-xs uppercase text-slate-500">
          <tr><th className="py-1 pr-2">Contact method</th><th className="py-1 pr-2">Channel</th><th className="py-1 pr-2">To</th><th className="py-1">Outcome</th></tr>
        </thead>
        <tbody>
          {contacts.map((contact, index) => (
            <tr key={`${contact.channel}-${contact.recipient}`} data-testid="test-page-row" className="border-t border-slate-100 dark:border-slate-800">
              <td className="py-1 pr-2">{contact.method}</td>
              <td className="py-1 pr-2">{contact.channel}</td>
              <td className="break-all py-1 pr-2">{contact.recipient}</td>
              <td className="py-1" data-testid="test-page-outcome"><OutcomeText outcome={outcomes[index]} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </section>
  );
}
