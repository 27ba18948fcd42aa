// "?" on the incident list: every shortcut, from the same table the keys are read from.
import { useEffect, useRef } from "react";
import { SHORTCUTS } from "./keyboard";

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div className="fixed inset-0 z-20 flex items-center justify-center bg-slate-900/50 p-4" onClick={onClose}>
      <div role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" className="card w-full max-w-md" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.key === "Escape" && onClose()}>
        <h2 className="mb-2 text-lg font-semibold">Keyboard shortcuts</h2>
        <table className="w-full text-sm">
          <tbody>
            {SHORTCUTS.map((shortcut) => (
              <tr key={shortcut.keys}>
                <td className="py-1 pr-3">
                  <kbd className="rounded border border-slate-300 px-1.5 font-mono text-xs dark:border-slate-600">{shortcut.keys}</kbd>
                </td>
                <td className="py-1">{shortcut.label}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button ref={close} type="button" className="btn-secondary mt-3" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
