// Silences & maintenance (issue 16): what holds alerts back, and the heartbeats that raise them.
import { useAuth } from "../auth";
import { PageHeader } from "../components/ui";
import { HeartbeatsSection } from "./HeartbeatsSection";
import { MaintenanceSection } from "./MaintenanceSection";
import { SilencesSection } from "./SilencesSection";

export function SilencesPage() {
  const role = useAuth().session?.user.role;
  return (
    <div className="space-y-4">
      <PageHeader title="Silences & maintenance" />
      <SilencesSection canWrite={role === "responder" || role === "admin"} />
      <MaintenanceSection isAdmin={role === "admin"} />
      {role === "admin" && <HeartbeatsSection />}
    </div>
  );
}
