// How a person is reached when paged (issue 16): notification rules per urgency ("after N minutes
// via contact method X"), quiet hours for low urgency, and a test notification per contact method.
import { useEffect, useState } from "react";
import { ApiError } from "../api/client";
import { notificationRules } from "../api/endpoints";
import type { ContactMethod, OncallUser, Urgency } from "../api/types";
import { useAuth } from "../auth";
import { ErrorBanner, Loading } from "../components/ui";
import { useApiQuery } from "../hooks";
import { bodyOf, draftOf, methodLabel, newStep, summary, URGENCIES, type Draft, type DraftStep } from "./notificationRules";

function StepRow({ step, methods, editable, onChange, onRemove }: {
  step: DraftStep;
  methods: ContactMethod[];
  editable: boolean;
  onChange: (change: Partial<DraftStep>) => void;
  onRemove: () => void;
}) {
  const known = methods.some((m) => m.id === step.contactMethodId);
  return (
    <li className="flex flex-wrap items-center gap-2 text-sm" data-testid="rule-step">
      after
      <input
        className="input w-20"
        inputMode="numeric"
        aria-label="Delay in minutes"
        value={step.delay}
        disabled={!editable}
        onChange={(e) => onChange({ delay: e.target.value })}
      />
      min via
      <select
        className="input w-auto"
        aria-label="Contact method"
        value={step.contactMethodId}
        disabled={!editable}
        onChange={(e) => onChange({ contactMethodId: e.target.value })}
      >
        {!known && <option value={step.contactMethodId}>a removed contact method</option>}
        {methods.map((method) => (
          <option key={method.id} value={method.id}>{methodLabel(method)}</option>
        ))}
      </select>
      {editable && <button type="button" className="btn-secondary" onClick={onRemove}>Remove</button>}
    </li>
  );
}

function TestButton({ user, method }: { user: OncallUser; method: ContactMethod }) {
  const [state, setState] = useState<string | null>(null);
  async function send() {
    setState("sending…");
    try {
      const queued = await notificationRules.testContactMethod(user.id, method.id);
      setState(`queued on ${queued.channel}: see Notifications for ${queued.recipient}`);
    } catch (cause) {
      setState(`refused: ${cause instanceof ApiError ? cause.display : String(cause)}`);
    }
  }
  return (
    <li className="flex flex-wrap items-center gap-2 text-sm" data-testid="contact-method">
      <span className="font-medium">{methodLabel(method)}</span>
      <button type="button" className="btn-secondary" onClick={() => void send()}>Send a test notification</button>
      {state && <span className="text-slate-600 dark:text-slate-300" data-testid="test-outcome">{state}</span>}
    </li>
  );
}

export function NotificationRules({ user }: { user: OncallUser }) {
  const { can } = useAuth();
  const editable = can("admin");
  const loaded = useApiQuery(["oncall", "notification-rules", user.id], () => notificationRules.get(user.id));
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const methods = user.contact_methods;

  useEffect(() => {
    if (loaded.data) setDraft(draftOf(loaded.data));
  }, [loaded.data]);

  const change = (update: (d: Draft) => Draft) => {
    setSaved(false);
    setDraft((d) => (d ? update(d) : d));
  };
  const changeStep = (key: number, part: Partial<DraftStep>) =>
    change((d) => ({ ...d, steps: d.steps.map((s) => (s.key === key ? { ...s, ...part } : s)) }));
  const addStep = (urgency: Urgency) => change((d) => ({ ...d, steps: [...d.steps, newStep(urgency, methods, d.steps)] }));
  const removeStep = (key: number) => change((d) => ({ ...d, steps: d.steps.filter((s) => s.key !== key) }));

  async function save() {
    if (!draft) return;
    setSaving(true);
    setSaveError(null);
    try {
      setDraft(draftOf(await notificationRules.replace(user.id, bodyOf(draft))));
      setSaved(true);
    } catch (cause) {
      setSaveError(cause);
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="card space-y-3" aria-label="Notification rules">
      <h2 className="font-semibold">Notification rules</h2>
      <p className="text-sm text-slate-600 dark:text-slate-300">
        How {user.name} is reached when an escalation level pages them. Acknowledging stops the steps not yet sent.
        {editable ? "" : " Only an admin can change them."}
      </p>
      <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
      {!draft ? (
        !loaded.error && <Loading what="Loading notification rules" />
      ) : (
        <>
          {URGENCIES.map(({ urgency, label, severities }) => (
            <div key={urgency} className="space-y-1" data-testid={`rules-${urgency}`}>
              <h3 className="text-sm font-semibold">{label} <span className="font-normal text-slate-500">({severities})</span></h3>
              <ul className="space-y-1">
                {draft.steps.filter((s) => s.urgency === urgency).map((step) => (
                  <StepRow key={step.key} step={step} methods={methods} editable={editable}
                    onChange={(part) => changeStep(step.key, part)} onRemove={() => removeStep(step.key)} />
                ))}
              </ul>
              <p className="text-sm text-slate-600 dark:text-slate-300" data-testid={`summary-${urgency}`}>{summary(draft, methods, urgency)}</p>
              {editable && methods.length > 0 && (
                <button type="button" className="btn-secondary" onClick={() => addStep(urgency)}>Add a {urgency}-urgency step</button>
              )}
            </div>
          ))}
          <div className="space-y-1">
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={draft.quiet} disabled={!editable}
                onChange={(e) => change((d) => ({ ...d, quiet: e.target.checked }))} />
              Quiet hours for low urgency ({user.timezone})
            </label>
            {draft.quiet && (
              <div className="flex flex-wrap items-center gap-2 text-sm">
                from
                <input type="time" className="input w-auto" aria-label="Quiet hours start" value={draft.quietStart} disabled={!editable}
                  onChange={(e) => change((d) => ({ ...d, quietStart: e.target.value }))} />
                to
                <input type="time" className="input w-auto" aria-label="Quiet hours end" value={draft.quietEnd} disabled={!editable}
                  onChange={(e) => change((d) => ({ ...d, quietEnd: e.target.value }))} />
                <span className="text-slate-500">low-urgency notifications due then wait until they end</span>
              </div>
            )}
          </div>
          <ErrorBanner error={saveError} />
          {editable && (
            <div className="flex items-center gap-2">
              <button type="button" className="btn-primary" disabled={saving} onClick={() => void save()}>Save notification rules</button>
              {saved && <span className="text-sm text-emerald-700 dark:text-emerald-300">Saved</span>}
            </div>
          )}
        </>
      )}
      <div className="space-y-1">
        <h3 className="text-sm font-semibold">Contact methods</h3>
        {methods.length === 0 ? (
          <p className="text-sm text-slate-500">None: pages go to {user.email} on the mock channel.</p>
        ) : (
          <ul className="space-y-1">
            {methods.map((method) => <TestButton key={method.id} user={user} method={method} />)}
          </ul>
        )}
      </div>
    </section>
  );
}
