import { useState } from "react";
import { NavLink, Outlet } from "react-router-dom";
import { useAuth } from "../auth";
import { LiveProvider } from "../live/LiveContext";
import { saveZone, useTimeZone, zoneChoices } from "../timezone";
import { Logo } from "./ui";

const LINKS = [
  { to: "/", label: "Dashboard", end: true },
  { to: "/incidents", label: "Incidents" },
  { to: "/alerts", label: "Alerts" },
  { to: "/oncall", label: "On-call" },
  { to: "/my-oncall", label: "My on-call" },
  { to: "/silences", label: "Silences" },
  { to: "/routing", label: "Routing" },
  { to: "/notifications", label: "Notifications" },
  { to: "/settings", label: "Settings" },
];

export function Layout() {
  const { session, logout } = useAuth();
  const [menuOpen, setMenuOpen] = useState(false);
  const user = session?.user;
  const zone = useTimeZone();
  const linkClass = ({ isActive }: { isActive: boolean }) =>
    `block rounded-md px-3 py-2 text-sm font-medium ${
      isActive ? "bg-slate-800 text-white dark:bg-slate-700" : "text-slate-300 hover:bg-slate-800 hover:text-white"
    }`;
  return (
    <LiveProvider enabled={!user?.must_change_password}>
    <div className="min-h-screen md:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
        Skip to content
      </a>
      <header className="bg-slate-900 text-white md:flex md:min-h-screen md:w-52 md:flex-col">
        <div className="flex items-center justify-between px-4 py-3">
          <span className="flex items-center gap-2 text-lg font-bold tracking-tight"><Logo /> Nightwatch</span>
          <button type="button" className="rounded p-1 text-slate-300 md:hidden" aria-expanded={menuOpen} aria-label="Menu" onClick={() => setMenuOpen(!menuOpen)}>
            ☰
          </button>
        </div>
        <nav aria-label="Main" className={`${menuOpen ? "block" : "hidden"} space-y-1 px-2 pb-3 md:block md:flex-1`}>
          {LINKS.map((link) => (
            <NavLink key={link.to} to={link.to} end={link.end} className={linkClass} onClick={() => setMenuOpen(false)}>
              {link.label}
            </NavLink>
          ))}
        </nav>
        <div className={`${menuOpen ? "block" : "hidden"} border-t border-slate-800 px-4 py-3 text-sm md:block`}>
          <div data-testid="current-user">
            {user?.username} <span className="text-slate-400">({user?.role})</span>
          </div>
          <button type="button" className="mt-1 text-slate-300 underline hover:text-white" onClick={logout}>
            Sign out
          </button>
          <label className="mt-2 block text-xs text-slate-400">
            Times shown in
            <select
              className="mt-1 block w-full max-w-full rounded bg-slate-800 px-1 py-1 text-sm text-white"
              aria-label="Time zone"
              value={zone}
              onChange={(e) => saveZone(e.target.value)}
            >
              {zoneChoices(zone).map((choice) => (
                <option key={choice} value={choice}>{choice}</option>
              ))}
            </select>
          </label>
        </div>
      </header>
      <div className="min-w-0 flex-1 overflow-x-auto">
        {user?.must_change_password && (
          <div role="alert" className="border-b border-amber-400 bg-amber-100 px-4 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200">
            You are using the default password. <NavLink to="/settings" className="font-semibold underline">Change it in Settings</NavLink>.
          </div>
        )}
        <main id="main" className="mx-auto max-w-7xl p-4 md:p-6">
          {/* Drawn again in a new zone: every formatTime reads the picked zone. */}
          <Outlet key={zone} />
        </main>
      </div>
    </div>
    </LiveProvider>
  );
}
