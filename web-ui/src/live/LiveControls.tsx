// What the live view is doing, and the person's switches: pause, notification, sound.
import { useLive } from "./LiveContext";
import { askNotificationPermission } from "./alarm";

const MODE_TEXT = {
  live: "Live · updates pushed",
  connecting: "Connecting…",
  polling: "Reconnecting · polling every few seconds",
};

export function LiveControls() {
  const { mode, versions, paused, setPaused, prefs, setPrefs } = useLive();
  async function toggleNotify(on: boolean) {
    setPrefs({ ...prefs, notify: on && (await askNotificationPermission()) });
  }
  return (
    <div className="flex flex-wrap items-center gap-3 text-xs text-slate-600 dark:text-slate-300">
      <span data-testid="live-mode" data-mode={paused ? "paused" : mode} data-version={versions.incidents} aria-live="polite">
        <span className={`mr-1 inline-block h-2 w-2 rounded-full ${paused ? "bg-amber-500" : mode === "live" ? "bg-emerald-500" : "bg-slate-400"}`} aria-hidden />
        {paused ? "Paused · rows stay still" : MODE_TEXT[mode]}
      </span>
      <button type="button" className="btn-secondary px-2 py-1 text-xs" aria-pressed={paused} onClick={() => setPaused(!paused)} title="Pause live updates (p)">
        {paused ? "Resume" : "Pause"}
      </button>
      <label className="flex items-center gap-1" title="A browser notification for each new critical incident">
        <input type="checkbox" checked={prefs.notify} onChange={(e) => void toggleNotify(e.target.checked)} />
        Notify on critical
      </label>
      <label className="flex items-center gap-1" title="A short tone for each new critical incident">
        <input type="checkbox" checked={prefs.sound} onChange={(e) => setPrefs({ ...prefs, sound: e.target.checked })} />
        Sound
      </label>
    </div>
  );
}
