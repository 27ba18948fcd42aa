// A person's page (/oncall/people/:id): contact methods, shifts, calendar links, test page.
import { useParams } from "react-router-dom";
import { oncall } from "../api/endpoints";
import { ErrorBanner, Loading, PageHeader } from "../components/ui";
import { useApiQuery } from "../hooks";
import { PersonOncall } from "./MyOncallPage";

export function PersonPage() {
  const { id = "" } = useParams();
  const person = useApiQuery(["oncall", "user", id], () => oncall.user(id));
  if (person.error) return <ErrorBanner error={person.error} onRetry={person.reload} />;
  if (!person.data) return <Loading />;
  const user = person.data;
  return (
    <div className="space-y-4">
      <PageHeader title={user.name} />
      <section className="card text-sm" aria-label="Contact">
        <p>{user.email} · {user.timezone}{user.console_account ? ` · signs in as ${user.console_account}` : ""}</p>
        <ul className="mt-1 list-disc pl-5">
          {user.contact_methods.map((method) => (
            <li key={method.id}>{method.type}: {method.address}</li>
          ))}
        </ul>
      </section>
      <PersonOncall person={user} self={false} />
    </div>
  );
}
