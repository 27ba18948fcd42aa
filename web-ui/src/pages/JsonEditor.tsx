import { useState, type FormEvent } from "react";
import { ErrorBanner } from "../components/ui";

/** Edit a resource as JSON; the server validates it and its 422 message is shown as is. */
export function JsonEditor({ title, initial, onSave, onCancel }: { title: string; initial: unknown; onSave: (value: unknown) => Promise<void>; onCancel: () => void }) {
  const [text, setText] = useState(() => JSON.stringify(initial, null, 2));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      setError(new Error(`Not valid JSON: ${(cause as Error).message}`));
      return;
    }
    setBusy(true);
    try {
      await onSave(value);
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} className="card space-y-2" aria-label={title}>
      <h2 className="font-semibold">{title}</h2>
      <ErrorBanner error={error} />
      <textarea className="input h-64 font-mono text-xs" aria-label="JSON" value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      <div className="flex gap-2">
        <button className="btn-primary" type="submit" disabled={busy}>Save</button>
        <button className="btn-secondary" type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
