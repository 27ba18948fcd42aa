// Which on-call user the signed-in account is. Console accounts (gateway) and on-call users
// (oncall-escalation) are separate records with no stored link: the console matches the account's
// username to a user's email or email local part or name, and otherwise asks the person once and
// remembers the answer in this browser (localStorage).
import type { OncallUser } from "../api/types";

const KEY = "nightwatch.myOncallUser";

type Someone = Pick<OncallUser, "id" | "name" | "email">;

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

/** The remembered choice while that user still exists, else the username match. */
export function resolveMe<T extends Someone>(username: string, users: T[]): { user: T | null; how: "remembered" | "matched" | null } {
  const remembered = rememberedUserId(username);
  const chosen = remembered ? users.find((user) => user.id === remembered) : undefined;
  if (chosen) return { user: chosen, how: "remembered" };
  const matched = matchByUsername(username, users);
  return { user: matched, how: matched ? "matched" : null };
}
