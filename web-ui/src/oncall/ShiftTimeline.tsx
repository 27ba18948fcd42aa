// A shift timeline of any length: bars named as far as they fit, a legend of who is who, gaps
// hatched, and a "now" marker. Used by the On-call page (per schedule) and My on-call.
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import type { Shift } from "../api/types";
import { formatTime } from "../format";
import { currentZone } from "../timezone";
import { barLabel, barPosition, nowPosition, ticks, type Span } from "./timeline";

const PALETTE = ["bg-sky-600", "bg-violet-600", "bg-emerald-700", "bg-amber-700", "bg-rose-600", "bg-teal-700"];

export const RANGES = [7, 14, 28, 56] as const;

/** How wide the element is (900 px until measured, and where ResizeObserver is missing). */
function useWidth() {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => setWidth(entry.contentRect.width));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

export function ShiftBars({ shifts, gaps = [], from, to, now, label, barText }: {
  shifts: (Pick<Shift, "start" | "end" | "user" | "source" | "layer_name"> & { schedule_name?: string })[];
  gaps?: Span[];
  from: Date;
  to: Date;
  now: Date;
  label: string;
  /** What a bar says (default the person; My on-call, where every bar is mine: the schedule). */
  barText?: (shift: { user: { name: string }; schedule_name?: string }) => string;
}) {
  const { ref, width } = useWidth();
  const people = [...new Map(shifts.map((s) => [s.user.id, s.user.name])).entries()];
  const colour = (userId: string) => PALETTE[people.findIndex(([id]) => id === userId) % PALETTE.length];
  const marker = nowPosition(now, from, to);
  const style = (p: { left: number; width: number }) => ({ left: `${p.left}%`, width: `${p.width}%` });
  return (
    <div>
      <div ref={ref} className="relative h-9 w-full overflow-hidden rounded bg-slate-100 dark:bg-slate-800" role="img" aria-label={label}>
        {shifts.map((shift, index) => {
          const position = barPosition(shift, from, to);
          const name = barText ? barText(shift) : shift.user.name;
          return (
            <div
              key={index}
              data-testid="shift-bar"
              title={`${name}: ${formatTime(shift.start)} → ${formatTime(shift.end)} (${shift.source === "override" ? "override" : shift.layer_name ?? "layer"})`}
              className={`absolute top-0 h-full overflow-hidden whitespace-nowrap border-r border-white/70 text-[11px] font-medium leading-9 text-white ${colour(shift.user.id)} ${shift.source === "override" ? "ring-2 ring-inset ring-black/50" : ""}`}
              style={style(position)}
            >
              <span className="px-1">{barLabel(name, (position.width / 100) * width)}</span>
            </div>
          );
        })}
        {gaps.map((gap, index) => (
          <div key={`gap-${index}`} title={`Nobody on call: ${formatTime(gap.start)} → ${formatTime(gap.end)}`} className="absolute top-0 h-full bg-[repeating-linear-gradient(45deg,#e11d48_0,#e11d48_4px,transparent_4px,transparent_8px)] opacity-60" style={style(barPosition(gap, from, to))} />
        ))}
        {marker !== null && (
          <div data-testid="now-marker" title={`Now: ${formatTime(now.toISOString())}`} className="absolute top-0 z-10 h-full w-0.5 bg-rose-600 dark:bg-rose-400" style={{ left: `${marker}%` }}>
            <span className="absolute -top-0.5 left-1 rounded bg-rose-600 px-1 text-[9px] font-bold uppercase leading-3 text-white">now</span>
          </div>
        )}
      </div>
      <div className="relative mt-1 h-4 text-[10px] text-slate-500">
        {ticks(from, to).map((tick) => (
          <span key={tick.getTime()} className="absolute" style={{ left: `${barPosition({ start: tick.toISOString(), end: to.toISOString() }, from, to).left}%` }}>
            {tick.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short", timeZone: currentZone() })}
          </span>
        ))}
      </div>
      {people.length > 0 && (
        <ul className="mt-1 flex flex-wrap gap-x-3 gap-y-1 text-xs text-slate-600 dark:text-slate-300" aria-label="Who is who">
          {people.map(([id, name]) => (
            <li key={id} className="flex items-center gap-1">
              <span className={`inline-block h-3 w-3 rounded-sm ${colour(id)}`} aria-hidden="true" />
              <Link className="hover:underline" to={`/oncall/people/${id}`}>{name}</Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function RangePicker({ days, onChange }: { days: number; onChange: (days: number) => void }) {
  return (
    <label className="flex items-center gap-1 text-sm">
      Show
      <select className="input w-auto py-1" value={days} onChange={(e) => onChange(Number(e.target.value))} aria-label="Days shown">
        {RANGES.map((n) => (
          <option key={n} value={n}>{n} days</option>
        ))}
      </select>
    </label>
  );
}
