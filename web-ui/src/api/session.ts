// The signed-in session, kept in localStorage so it survives a reload; it ends at the token's
// expiry (checked locally and by the gateway's 401).
import type { LoginResponse, SessionUser } from "./types";

const KEY = "nightwatch.session";

export interface Session {
  token: string;
  user: SessionUser;
  expiresAt: number; // epoch ms
}

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

export function loadSession(now: number = Date.now()): Session | null {
  const raw = localStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as Session;
    if (!session.token || !session.user || session.expiresAt <= now) {
      localStorage.removeItem(KEY);
      return null;
    }
    return session;
  } catch {
    localStorage.removeItem(KEY);
    return null;
  }
}

export function saveLogin(login: LoginResponse, now: number = Date.now()): Session {
  const session: Session = {
    token: login.access_token,
    user: login.user,
    expiresAt: now + login.expires_in * 1000,
  };
  localStorage.setItem(KEY, JSON.stringify(session));
  listeners.forEach((listener) => listener(session));
  return session;
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(null));
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
