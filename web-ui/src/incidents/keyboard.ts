// The incident list's keyboard shortcuts: one table (shown by "?") and one pure decision.

export type ListAction = "down" | "up" | "open" | "select" | "acknowledge" | "resolve" | "search" | "help" | "pause" | "close";

export const SHORTCUTS: { keys: string; action: ListAction; label: string }[] = [
  { keys: "j", action: "down", label: "Next incident" },
  { keys: "k", action: "up", label: "Previous incident" },
  { keys: "Enter", action: "open", label: "Open the incident" },
  { keys: "x", action: "select", label: "Select / unselect it" },
  { keys: "a", action: "acknowledge", label: "Acknowledge the selected incidents (else this one)" },
  { keys: "r", action: "resolve", label: "Resolve the selected incidents (else this one)" },
  { keys: "/", action: "search", label: "Search" },
  { keys: "p", action: "pause", label: "Pause / resume live updates" },
  { keys: "?", action: "help", label: "Show these shortcuts" },
  { keys: "Esc", action: "close", label: "Close this list / leave the search box" },
];

const BY_KEY: Record<string, ListAction> = {
  j: "down",
  k: "up",
  Enter: "open",
  x: "select",
  a: "acknowledge",
  r: "resolve",
  "/": "search",
  p: "pause",
  "?": "help",
  Escape: "close",
};

export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  target?: EventTarget | null;
}

function isTyping(target: EventTarget | null | undefined): boolean {
  if (!target || !(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** The action of a key press, or null: typing in a field, a browser shortcut, an unknown key.
 *  Enter on a link or button keeps its own meaning. */
export function listKeyAction(event: KeyInput): ListAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  if (isTyping(event.target)) return event.key === "Escape" ? "close" : null;
  if (event.key === "Enter" && event.target instanceof HTMLElement && ["A", "BUTTON"].includes(event.target.tagName)) return null;
  return BY_KEY[event.key] ?? null;
}

/** The next highlighted row: starts at the first (or last, going up), stays within the page. */
export function moveCursor(current: number, by: 1 | -1, count: number): number {
  if (count === 0) return -1;
  if (current < 0) return by > 0 ? 0 : count - 1;
  return Math.min(count - 1, Math.max(0, current + by));
}
