import { useState, type FormEvent } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { admin as adminApi, auth as authApi } from "../api/endpoints";
import type { ApiKey, Role } from "../api/types";
import { useAuth } from "../auth";
import { AuditLog } from "../components/AuditLog";
import { Empty, ErrorBanner, Field, Loading, PageHeader } from "../components/ui";
import { formatTime } from "../format";
import { useApiQuery } from "../hooks";
import { IntegrationsSection } from "./IntegrationsSection";

const ROLES: Role[] = ["viewer", "responder", "admin"];

function ChangePassword() {
  const { session, login } = useAuth();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from;
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setDone(false);
    if (next !== confirm) {
      setError(new Error("The new passwords do not match."));
      return;
    }
    try {
      await authApi.changePassword(current, next);
      // The gateway revokes older tokens on a change: sign in again with the new password.
      if (session) await login(session.user.username, next);
      // Sent here by a required change: back to the page that was asked for.
      if (session?.user.must_change_password && from) {
        navigate(from, { replace: true });
        return;
      }
      setDone(true);
      setCurrent("");
      setNext("");
      setConfirm("");
    } catch (cause) {
      setError(cause);
    }
  }
  return (
    <form onSubmit={submit} className="card space-y-3" aria-label="Change password">
      <h2 className="font-semibold">Change password</h2>
      <ErrorBanner error={error} />
      {done && <p role="status" className="text-sm text-emerald-700 dark:text-emerald-300">Password changed.</p>}
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Current password"><input className="input" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} /></Field>
        <Field label="New password"><input className="input" type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} /></Field>
        <Field label="Repeat new password"><input className="input" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} /></Field>
      </div>
      <button className="btn-primary" type="submit">Change password</button>
    </form>
  );
}

function Accounts() {
  const { session } = useAuth();
  const accounts = useApiQuery(["admin", "accounts"], () => adminApi.accounts());
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("responder");
  const [error, setError] = useState<unknown>(null);
  async function act(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      await accounts.reload();
      return true;
    } catch (cause) {
      setError(cause);
      return false;
    }
  }
  return (
    <section className="card space-y-3" aria-label="Users and roles">
      <h2 className="font-semibold">Users and roles</h2>
      <ErrorBanner error={error ?? accounts.error} />
      {accounts.loading && !accounts.data ? <Loading /> : accounts.data?.length ? (
        <div className="relative overflow-x-auto">
          <table className="min-w-full">
            <thead><tr><th className="th">User</th><th className="th">Role</th><th className="th hidden sm:table-cell">Last login</th><th className="th"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {accounts.data.map((account) => (
                <tr key={account.username}>
                  <td className="td break-all">{account.username}</td>
                  <td className="td">
                    <select className="input w-32" aria-label={`Role of ${account.username}`} value={account.role} disabled={account.username === session?.user.username} onChange={(e) => act(() => adminApi.updateAccount(account.id, { role: e.target.value as Role }))}>
                      {ROLES.map((r) => <option key={r}>{r}</option>)}
                    </select>
                  </td>
                  <td className="td hidden sm:table-cell">{account.disabled ? "disabled" : formatTime(account.last_login_at)}</td>
                  <td className="td text-right">
                    {account.username !== session?.user.username && (
                      <button type="button" className="btn-secondary" onClick={() => window.confirm(`Delete ${account.username}?`) && act(() => adminApi.deleteAccount(account.id))}>Delete</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : accounts.data ? <Empty>No accounts.</Empty> : null}
      <form
        className="flex flex-wrap items-end gap-2"
        aria-label="New user"
        onSubmit={async (e: FormEvent) => {
          e.preventDefault();
          if (await act(() => adminApi.createAccount({ username, password, role }))) {
            setUsername("");
            setPassword("");
          }
        }}
      >
        <Field label="Username"><input className="input w-36" required value={username} onChange={(e) => setUsername(e.target.value)} /></Field>
        <Field label="Password"><input className="input w-36" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></Field>
        <Field label="Role">
          <select className="input" value={role} onChange={(e) => setRole(e.target.value as Role)}>{ROLES.map((r) => <option key={r}>{r}</option>)}</select>
        </Field>
        <button className="btn-primary" type="submit">Add user</button>
      </form>
    </section>
  );
}

/** The gateway refuses a key from its expires_at on; the list must not make it look active. */
function isExpired(key: ApiKey, now: number = Date.now()): boolean {
  return !!key.expires_at && new Date(key.expires_at).getTime() <= now;
}

function ApiKeys() {
  const keys = useApiQuery(["admin", "api-keys"], () => adminApi.apiKeys());
  const [name, setName] = useState("");
  const [role, setRole] = useState("ingest");
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function create(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      setCreated(await adminApi.createApiKey(role === "ingest" ? { name, role: null, permissions: ["ingest"] } : { name, role: role as Role, permissions: [] }));
      setName("");
      await keys.reload();
    } catch (cause) {
      setError(cause);
    }
  }
  async function revoke(id: string) {
    setError(null);
    try {
      await adminApi.revokeApiKey(id);
      // A revoked key is useless: it must not stay offered in the "copy this key now" box.
      setCreated((shown) => (shown?.id === id ? null : shown));
      await keys.reload();
    } catch (cause) {
      setError(cause);
    }
  }
  return (
    <section className="card space-y-3" aria-label="API keys">
      <h2 className="font-semibold">API keys</h2>
      <ErrorBanner error={error ?? keys.error} />
      {created?.key && (
        <div role="status" className="rounded border border-emerald-400 bg-emerald-50 p-2 text-sm dark:border-emerald-700 dark:bg-emerald-950">
          Copy this key now — it is shown only once:
          <code data-testid="new-api-key" className="mt-1 block break-all font-mono">{created.key}</code>
        </div>
      )}
      {keys.loading && !keys.data ? <Loading /> : keys.data?.length ? (
        <div className="relative overflow-x-auto">
          <table className="min-w-full">
            <thead><tr><th className="th">Name</th><th className="th hidden sm:table-cell">Prefix</th><th className="th hidden sm:table-cell">Role</th><th className="th hidden sm:table-cell">Last used</th><th className="th">Expires</th><th className="th"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} data-testid="api-key-row">
                  <td className="td">{key.name}</td>
                  <td className="td hidden sm:table-cell font-mono">{key.prefix}…</td>
                  <td className="td hidden sm:table-cell">{[key.role, ...(key.permissions ?? [])].filter(Boolean).join(", ") || "—"}</td>
                  <td className="td hidden sm:table-cell">{formatTime(key.last_used_at)}</td>
                  <td className="td">
                    {isExpired(key) ? <span className="font-semibold text-rose-700 dark:text-rose-300">expired {formatTime(key.expires_at)}</span> : key.expires_at ? formatTime(key.expires_at) : "never"}
                  </td>
                  <td className="td text-right">
                    {key.revoked_at ? <span className="text-slate-500">revoked</span> : isExpired(key) ? <span className="text-slate-500">expired</span> : <button type="button" className="btn-secondary" onClick={() => revoke(key.id)}>Revoke</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : keys.data ? <Empty>No API keys.</Empty> : null}
      <form className="flex flex-wrap items-end gap-2" onSubmit={create} aria-label="New API key">
        <Field label="Name"><input className="input w-44" required value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Role">
          <select className="input" value={role} onChange={(e) => setRole(e.target.value)}>
            {["ingest", ...ROLES].map((r) => <option key={r}>{r}</option>)}
          </select>
        </Field>
        <button className="btn-primary" type="submit">Create key</button>
      </form>
    </section>
  );
}

export function SettingsPage() {
  const { can, session } = useAuth();
  const mustChange = session?.user.must_change_password ?? false;
  return (
    <div className="space-y-4">
      <PageHeader title="Settings" />
      {mustChange && (
        <p role="note" className="text-sm font-semibold text-amber-700 dark:text-amber-300">
          Change your password to continue: until then nothing else is available.
        </p>
      )}
      <ChangePassword />
      {mustChange ? null : can("admin") ? (
        <>
          <Accounts />
          <ApiKeys />
          <IntegrationsSection />
          <AuditLog />
        </>
      ) : (
        <p className="text-sm text-slate-500 dark:text-slate-400">Users, roles, API keys and integrations are managed by admins.</p>
      )}
    </div>
  );
}
