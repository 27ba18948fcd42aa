import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { auth as authApi } from "./api/endpoints";
import { clearSession, loadSession, onSessionChange, saveLogin, type Session } from "./api/session";
import type { Role } from "./api/types";

const RANK: Record<Role, number> = { viewer: 0, responder: 1, admin: 2 };

export function roleAtLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && (RANK[role] ?? -1) >= RANK[needed];
}

interface AuthState {
  session: Session | null;
  login: (username: string, password: string) => Promise<void>;
  logout: () => void;
  can: (needed: Role) => boolean;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());

  useEffect(() => onSessionChange(setSession), []);

  // End the session at the token's expiry even if the page stays open and idle.
  useEffect(() => {
    if (!session) return;
    const timer = window.setTimeout(() => clearSession(), Math.max(0, session.expiresAt - Date.now()));
    return () => window.clearTimeout(timer);
  }, [session]);

  const login = useCallback(async (username: string, password: string) => {
    saveLogin(await authApi.login(username, password));
  }, []);
  const logout = useCallback(() => clearSession(), []);
  const can = useCallback((needed: Role) => roleAtLeast(session?.user.role, needed), [session]);

  const value = useMemo(() => ({ session, login, logout, can }), [session, login, logout, can]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
