// Which on-call user the signed-in account is. Console accounts (gateway) and on-call users
// (oncall-escalation) are separate records; an on-call person carries the username of the account
// they sign in with (`console_account`, set in the person form). Without that link the console
// falls back to matching the username to a user's email, email local part or name, and otherwise
// asks the person once and remembers the answer in this browser (localStorage).
import type { OncallUser } from "../api/types";

const KEY = "nightwatch.myOncallUser";

type Someone = Pick<OncallUser, "id" | "name" | "email" | "console_account">;

function storageKey(username: string): string {
  return `${KEY}.${username}`;
}

export function rememberedUserId(username: string): string | null {
  return window.localStorage.getItem(storageKey(username));
}

export function rememberUserId(username: string, userId: string | null): void {
  if (userId) window.localStorage.setItem(storageKey(username), userId);
  else window.localStorage.removeItem(storageKey(username));
}

/** The one user whose email, email local part or name equals the username (any case), or null
 * when none or several do (then the person picks). */
export function matchByUsername<T extends Someone>(username: string, users: T[]): T | null {
  const wanted = username.trim().toLowerCase();
  if (!wanted) return null;
  const matches = users.filter((user) => {
    const email = user.email.toLowerCase();
    return email === wanted || email.split("@")[0] === wanted || user.name.trim().toLowerCase() === wanted;
  });
  return matches.length === 1 ? matches[0] : null;
}

/** The user linked to this console account (any case), if any. */
export function linkedTo<T extends Someone>(username: string, users: T[]): T | null {
  const wanted = username.trim().toLowerCase();
  return (wanted && users.find((user) => user.console_account?.toLowerCase() === wanted)) || null;
}

/** The linked user, else the remembered choice while that user still exists, else the username
 * match. */
export function resolveMe<T extends Someone>(username: string, users: T[]): { user: T | null; how: "linked" | "remembered" | "matched" | null } {
  const linked = linkedTo(username, users);
  if (linked) return { user: linked, how: "linked" };
  const remembered = rememberedUserId(username);
  const chosen = remembered ? users.find((user) => user.id === remembered) : undefined;
  if (chosen) return { user: chosen, how: "remembered" };
  const matched = matchByUsername(username, users);
  return { user: matched, how: matched ? "matched" : null };
}
