// The live dashboard says when silences or maintenance windows are holding alerts back.
import { Link } from "react-router-dom";
import { maintenanceWindows, silences } from "../api/endpoints";
import { useApiQuery } from "../hooks";

async function activeCounts() {
  const [active, windows] = await Promise.all([silences.list("active"), maintenanceWindows.list()]);
  return { silences: active.length, windows: windows.filter((w) => w.status === "active").length };
}

function plural(n: number, one: string, many: string) {
  return `${n} ${n === 1 ? one : many}`;
}

export function SuppressionBanner() {
  const { data } = useApiQuery(["suppression", "active-counts"], activeCounts, { pollMs: 15000 });
  if (!data) return null; // not loaded, or not readable: the rest of the dashboard stands alone
  const quiet = data.silences === 0 && data.windows === 0;
  return (
    <div role="status" data-testid="suppression-banner" className={`flex flex-wrap items-center justify-between gap-2 rounded-md border px-3 py-2 text-sm ${quiet ? "border-slate-200 text-slate-600 dark:border-slate-800 dark:text-slate-400" : "border-violet-300 bg-violet-50 text-violet-900 dark:border-violet-800 dark:bg-violet-950 dark:text-violet-200"}`}>
      <span>
        {quiet
          ? "No silences or maintenance windows active: every alert can open an incident."
          : `${plural(data.silences, "silence", "silences")} and ${plural(data.windows, "maintenance window", "maintenance windows")} active: the alerts they match are stored but open no incident.`}
      </span>
      <Link to="/silences" className="font-medium underline">Silences & maintenance →</Link>
    </div>
  );
}
