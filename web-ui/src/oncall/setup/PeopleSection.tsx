// People and teams on the On-call page: who can be paged, how, and which console account is whom.
import { useState } from "react";
import { Link } from "react-router-dom";
import { admin as adminApi } from "../../api/endpoints";
import type { OncallUser, Team } from "../../api/types";
import { Empty, ErrorBanner } from "../../components/ui";
import { useApiQuery, type Loaded } from "../../hooks";
import { PersonForm, TeamForm } from "./PeopleForms";

type Editing = { kind: "person"; user?: OncallUser } | { kind: "team"; team?: Team } | null;

export function PeopleSection({ users, teams, canEdit }: { users: Loaded<OncallUser[]>; teams: Loaded<Team[]>; canEdit: boolean }) {
  const [editing, setEditing] = useState<Editing>(null);
  // Accounts are admin's to read: the console-account choice only appears in an admin's form.
  const accounts = useApiQuery(["admin", "accounts", canEdit], () => (canEdit ? adminApi.accounts() : Promise.resolve(null)));
  const done = async () => {
    await Promise.all([users.reload(), teams.reload()]);
    setEditing(null);
  };
  return (
    <section className="card space-y-3" aria-label="People and teams">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-semibold">People and teams</h2>
        {canEdit && (
          <span className="flex gap-2">
            <button type="button" className="btn-secondary" onClick={() => setEditing({ kind: "person" })}>New person</button>
            <button type="button" className="btn-secondary" onClick={() => setEditing({ kind: "team" })}>New team</button>
          </span>
        )}
      </div>
      {editing?.kind === "person" && (
        <PersonForm key={editing.user?.id ?? "new"} user={editing.user} users={users.data ?? []} accounts={accounts.data ?? null} onSaved={done} onCancel={() => setEditing(null)} />
      )}
      {editing?.kind === "team" && <TeamForm key={editing.team?.id ?? "new"} team={editing.team} users={users.data ?? []} onSaved={done} onCancel={() => setEditing(null)} />}
      <ErrorBanner error={users.error} onRetry={users.reload} />
      <div className="grid gap-4 md:grid-cols-2">
        <div>
          <h3 className="mb-1 text-sm font-semibold">People</h3>
          {users.data?.length ? (
            <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
              {users.data.map((user) => (
                <li key={user.id} className="flex flex-wrap items-center justify-between gap-2 py-1.5" data-testid="person-row">
                  <span>
                    <Link className="font-semibold hover:underline" to={`/oncall/people/${user.id}`}>{user.name}</Link>
                    <span className="text-slate-500 dark:text-slate-400">
                      {" "}· {user.contact_methods.map((m) => m.type).join(", ") || "no contact method"}
                      {user.console_account ? ` · signs in as ${user.console_account}` : ""}
                    </span>
                  </span>
                  {canEdit && <button type="button" className="btn-secondary" aria-label={`Edit ${user.name}`} onClick={() => setEditing({ kind: "person", user })}>Edit</button>}
                </li>
              ))}
            </ul>
          ) : users.data ? <Empty>No people yet.</Empty> : null}
        </div>
        <div>
          <h3 className="mb-1 text-sm font-semibold">Teams</h3>
          {teams.data?.length ? (
            <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
              {teams.data.map((team) => (
                <li key={team.id} className="flex flex-wrap items-center justify-between gap-2 py-1.5" data-testid="team-row">
                  <span>
                    <strong>{team.name}</strong>
                    <span className="text-slate-500 dark:text-slate-400"> · {team.members.map((m) => m.name).join(", ") || "no members"}</span>
                  </span>
                  {canEdit && <button type="button" className="btn-secondary" aria-label={`Edit team ${team.name}`} onClick={() => setEditing({ kind: "team", team })}>Edit</button>}
                </li>
              ))}
            </ul>
          ) : teams.data ? <Empty>No teams yet.</Empty> : null}
        </div>
      </div>
    </section>
  );
}
