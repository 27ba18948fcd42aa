// Pieces the on-call set-up forms share: a list of people picked by name, the form's frame with
// its messages, and the advanced JSON view.
import { useState, type FormEvent, type ReactNode } from "react";
import type { OncallUser } from "../../api/types";
import { ErrorBanner } from "../../components/ui";
import { JsonEditor } from "../../pages/JsonEditor";

/** People in order, added by picking a name; `ordered` lists show move buttons (a rotation). */
export function PeopleList({ label, users, value, onChange, ordered = false, allowRepeat = false }: {
  label: string;
  users: OncallUser[];
  value: string[];
  onChange: (ids: string[]) => void;
  ordered?: boolean;
  allowRepeat?: boolean;
}) {
  const [pick, setPick] = useState("");
  const nameOf = (id: string) => users.find((u) => u.id === id)?.name ?? "(deleted person)";
  const choices = allowRepeat ? users : users.filter((u) => !value.includes(u.id));
  const move = (index: number, by: number) => {
    const next = [...value];
    [next[index], next[index + by]] = [next[index + by], next[index]];
    onChange(next);
  };
  return (
    <div className="space-y-1" role="group" aria-label={label}>
      <span className="text-xs font-medium text-slate-600 dark:text-slate-300">{label}</span>
      {value.length > 0 && (
        <ol className="space-y-1 text-sm">
          {value.map((id, index) => (
            <li key={`${id}-${index}`} className="flex items-center gap-2" data-testid="picked-person">
              {ordered && <span className="w-5 text-right text-slate-500">{index + 1}.</span>}
              <span className="flex-1">{nameOf(id)}</span>
              {ordered && <button type="button" className="btn-secondary px-2 py-0.5" aria-label={`Move ${nameOf(id)} up`} disabled={index === 0} onClick={() => move(index, -1)}>↑</button>}
              {ordered && <button type="button" className="btn-secondary px-2 py-0.5" aria-label={`Move ${nameOf(id)} down`} disabled={index === value.length - 1} onClick={() => move(index, 1)}>↓</button>}
              <button type="button" className="btn-secondary px-2 py-0.5" aria-label={`Remove ${nameOf(id)}`} onClick={() => onChange(value.filter((_, i) => i !== index))}>✕</button>
            </li>
          ))}
        </ol>
      )}
      <div className="flex gap-2">
        <select className="input" aria-label={`Add to ${label}`} value={pick} onChange={(e) => setPick(e.target.value)}>
          <option value="">choose a person…</option>
          {choices.map((u) => (
            <option key={u.id} value={u.id}>{u.name} ({u.email})</option>
          ))}
        </select>
        <button type="button" className="btn-secondary" disabled={!pick} onClick={() => { onChange([...value, pick]); setPick(""); }}>Add</button>
      </div>
    </div>
  );
}

/** The checks that failed, as a list a person can work through. */
export function FormErrors({ errors }: { errors: string[] }) {
  if (errors.length === 0) return null;
  return (
    <div role="alert" className="rounded-md border border-rose-300 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-200">
      <p className="font-semibold">Not saved yet:</p>
      <ul className="list-disc pl-5">
        {errors.map((error) => <li key={error}>{error}</li>)}
      </ul>
    </div>
  );
}

/**
 * A set-up form: checks the state first (no request while something is missing), then saves and
 * shows the server's refusal as is. `json` offers the body as JSON for the advanced view.
 */
export function SetupForm({ title, errors, onSave, onCancel, json, children, extraButtons }: {
  title: string;
  /** The client-side checks of the current state. */
  errors: () => string[];
  onSave: (raw?: unknown) => Promise<void>;
  onCancel: () => void;
  json?: () => unknown;
  children: ReactNode;
  extraButtons?: ReactNode;
}) {
  const [shown, setShown] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [asJson, setAsJson] = useState(false);

  async function save(raw?: unknown) {
    setBusy(true);
    setError(null);
    try {
      await onSave(raw);
    } catch (cause) {
      if (raw !== undefined) throw cause; // the JSON editor shows its own error
      setError(cause);
    } finally {
      setBusy(false);
    }
  }
  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = errors();
    setShown(found);
    if (found.length === 0) await save();
  }
  if (asJson && json) {
    return <JsonEditor title={`${title} (JSON)`} initial={json()} onSave={(value) => save(value)} onCancel={() => setAsJson(false)} />;
  }
  return (
    <form onSubmit={submit} className="card space-y-3" aria-label={title} noValidate>
      <h2 className="font-semibold">{title}</h2>
      {children}
      <FormErrors errors={shown} />
      <ErrorBanner error={error} />
      <div className="flex flex-wrap gap-2">
        <button className="btn-primary" type="submit" disabled={busy}>Save</button>
        <button className="btn-secondary" type="button" onClick={onCancel}>Cancel</button>
        {extraButtons}
        {json && <button className="btn-secondary ml-auto" type="button" onClick={() => setAsJson(true)}>Edit as JSON (advanced)</button>}
      </div>
    </form>
  );
}
