// The opt-in alarm for a new critical incident: a browser notification and/or a short tone.
// Both off by default; the choice is kept in this browser only.
import type { Incident } from "../api/types";

export interface LivePrefs {
  notify: boolean;
  sound: boolean;
}

const KEY = "nightwatch.live-prefs";

export function loadPrefs(): LivePrefs {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<LivePrefs>;
    return { notify: raw.notify === true, sound: raw.sound === true };
  } catch {
    return { notify: false, sound: false };
  }
}

export function savePrefs(prefs: LivePrefs): void {
  localStorage.setItem(KEY, JSON.stringify(prefs));
}

/** Ask for the browser's permission (only on a click: browsers refuse otherwise). */
export async function askNotificationPermission(): Promise<boolean> {
  if (typeof Notification === "undefined") return false;
  if (Notification.permission === "granted") return true;
  return (await Notification.requestPermission()) === "granted";
}

export function alarm(incident: Pick<Incident, "id" | "title" | "service">, prefs: LivePrefs): void {
  if (prefs.notify && typeof Notification !== "undefined" && Notification.permission === "granted") {
    const note = new Notification(`Critical: ${incident.title}`, { body: incident.service, tag: incident.id });
    note.onclick = () => {
      window.focus();
      window.location.assign(`/incidents/${incident.id}`);
    };
  }
  if (prefs.sound) beep();
}

function beep(): void {
  const AudioCtor = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!AudioCtor) return;
  const context = new AudioCtor();
  const tone = context.createOscillator();
  const gain = context.createGain();
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.2, context.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.6);
  tone.connect(gain).connect(context.destination);
  tone.start();
  tone.stop(context.currentTime + 0.6);
  tone.onended = () => void context.close();
}
