// A schedule built with a form: layers, participants picked by name, rotation, handoff, on-call
// hours (restrictions), and a preview of the next shifts before saving.
import { useState } from "react";
import { oncallSetup } from "../../api/endpoints";
import type { OncallUser, Schedule, ScheduleCreate, ScheduleUpdate, ShiftPreview, Team } from "../../api/types";
import { ErrorBanner, Field } from "../../components/ui";
import { formatTime } from "../../format";
import { ShiftBars } from "../ShiftTimeline";
import { dayStart } from "../timeline";
import { FormErrors, PeopleList, SetupForm } from "./parts";
import {
  ROTATIONS,
  WEEKDAYS,
  newLayer,
  newRestriction,
  newScheduleForm,
  previewRequest,
  rotationErrors,
  scheduleCreateBody,
  scheduleErrors,
  scheduleFormOf,
  scheduleUpdateBody,
  timeZones,
  type LayerState,
  type RestrictionState,
  type Rotation,
  type ScheduleFormState,
} from "./scheduleForm";

const PREVIEW_DAYS = 14;
const UNIT: Record<Rotation, string> = { hourly: "hours", daily: "days", weekly: "weeks" };

function RestrictionRow({ value, onChange, onRemove, label }: { value: RestrictionState; onChange: (r: RestrictionState) => void; onRemove: () => void; label: string }) {
  const toggle = (day: (typeof WEEKDAYS)[number]) =>
    onChange({ ...value, days: value.days.includes(day) ? value.days.filter((d) => d !== day) : [...value.days, day] });
  return (
    <div className="flex flex-wrap items-end gap-2 rounded border border-slate-200 p-2 dark:border-slate-700" role="group" aria-label={label}>
      <span className="flex flex-wrap gap-1 text-xs">
        {WEEKDAYS.map((day) => (
          <label key={day} className="flex items-center gap-0.5">
            <input type="checkbox" checked={value.days.includes(day)} onChange={() => toggle(day)} />
            {day}
          </label>
        ))}
      </span>
      <Field label="From"><input className="input" type="time" value={value.start} onChange={(e) => onChange({ ...value, start: e.target.value })} /></Field>
      <Field label="Until (00:00 = midnight)"><input className="input" type="time" value={value.end} onChange={(e) => onChange({ ...value, end: e.target.value })} /></Field>
      <button type="button" className="btn-secondary" onClick={onRemove}>Remove hours</button>
    </div>
  );
}

function LayerFields({ index, layer, users, onChange, onRemove }: { index: number; layer: LayerState; users: OncallUser[]; onChange: (l: LayerState) => void; onRemove?: () => void }) {
  const set = (patch: Partial<LayerState>) => onChange({ ...layer, ...patch });
  const label = `Layer ${index + 1}`;
  return (
    <fieldset className="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-700" aria-label={label}>
      <legend className="px-1 text-sm font-semibold">{label}{index > 0 ? " (wins over the layers above where it has someone)" : ""}</legend>
      <div className="grid gap-2 sm:grid-cols-3">
        <Field label="Layer name"><input className="input" value={layer.name} placeholder={label} onChange={(e) => set({ name: e.target.value })} /></Field>
        <Field label="Rotation">
          <select className="input" aria-label="Rotation" value={layer.rotation_type} onChange={(e) => set({ rotation_type: e.target.value as Rotation })}>
            {ROTATIONS.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </Field>
        <Field label={`Shift length (${UNIT[layer.rotation_type]})`}><input className="input" inputMode="numeric" value={layer.shift_length} onChange={(e) => set({ shift_length: e.target.value })} /></Field>
        <Field label="First handoff date"><input className="input" type="date" value={layer.start_date} onChange={(e) => set({ start_date: e.target.value })} /></Field>
        <Field label="Handoff time"><input className="input" type="time" value={layer.handoff_time} onChange={(e) => set({ handoff_time: e.target.value })} /></Field>
      </div>
      <PeopleList label={`${label} rotation`} users={users} value={layer.participants} onChange={(participants) => set({ participants })} ordered allowRepeat />
      <div className="space-y-1">
        <span className="text-xs font-medium text-slate-600 dark:text-slate-300">On-call hours (none: around the clock)</span>
        {layer.restrictions.map((r, i) => (
          <RestrictionRow key={i} label={`${label} on-call hours ${i + 1}`} value={r}
            onChange={(next) => set({ restrictions: layer.restrictions.map((old, j) => (j === i ? next : old)) })}
            onRemove={() => set({ restrictions: layer.restrictions.filter((_, j) => j !== i) })} />
        ))}
        <button type="button" className="btn-secondary" onClick={() => set({ restrictions: [...layer.restrictions, newRestriction()] })}>Add on-call hours</button>
      </div>
      {onRemove && <button type="button" className="btn-secondary" onClick={onRemove}>Remove {label}</button>}
    </fieldset>
  );
}

function Preview({ preview }: { preview: ShiftPreview }) {
  const from = new Date(preview.from);
  const to = new Date(preview.to);
  return (
    <section className="space-y-2" aria-label="Preview of the next shifts" data-testid="schedule-preview">
      <h3 className="text-sm font-semibold">Next shifts ({PREVIEW_DAYS} days, {preview.timezone}), not saved yet</h3>
      <ShiftBars shifts={preview.shifts} gaps={preview.gaps} from={from} to={to} now={new Date()} label="Preview of the next shifts" />
      <ol className="text-sm">
        {preview.shifts.slice(0, 8).map((shift, i) => (
          <li key={i} data-testid="preview-shift">
            <strong>{shift.user.name}</strong> · {formatTime(shift.start)} → {formatTime(shift.end)}{shift.layer_name ? ` · ${shift.layer_name}` : ""}
          </li>
        ))}
      </ol>
      {preview.gaps.length > 0 && <p className="text-sm text-rose-700 dark:text-rose-300">{preview.gaps.length} gap(s) with nobody on call in these {PREVIEW_DAYS} days.</p>}
    </section>
  );
}

export function ScheduleForm({ schedule, teams, users, onSaved, onCancel }: { schedule?: Schedule; teams: Team[]; users: OncallUser[]; onSaved: () => Promise<void>; onCancel: () => void }) {
  const today = new Date().toISOString().slice(0, 10);
  const [form, setForm] = useState<ScheduleFormState>(() => (schedule ? scheduleFormOf(schedule) : newScheduleForm(teams[0]?.name ?? "", today)));
  const [preview, setPreview] = useState<{ of: ScheduleFormState; data: ShiftPreview } | null>(null);
  const [previewErrors, setPreviewErrors] = useState<string[]>([]);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const set = (patch: Partial<ScheduleFormState>) => setForm((f) => ({ ...f, ...patch }));
  const setLayer = (index: number, layer: LayerState) => set({ layers: form.layers.map((old, i) => (i === index ? layer : old)) });

  async function showPreview() {
    const found = rotationErrors(form);
    setPreviewErrors(found);
    setPreviewError(null);
    if (found.length) return;
    try {
      setPreview({ of: form, data: await oncallSetup.previewSchedule(previewRequest(form, dayStart(new Date()), PREVIEW_DAYS)) });
    } catch (cause) {
      setPreviewError(cause);
    }
  }
  async function save(raw?: unknown) {
    if (schedule) await oncallSetup.updateSchedule(schedule.id, (raw ?? scheduleUpdateBody(form)) as ScheduleUpdate);
    else await oncallSetup.createSchedule((raw ?? scheduleCreateBody(form)) as ScheduleCreate);
    await onSaved();
  }
  const title = schedule ? `Edit schedule ${schedule.name}` : "New schedule";
  return (
    <SetupForm title={title} errors={() => scheduleErrors(form)} onSave={save} onCancel={onCancel}
      json={() => (schedule ? scheduleUpdateBody(form) : scheduleCreateBody(form))}
      extraButtons={<button type="button" className="btn-secondary" onClick={() => void showPreview()}>Preview shifts</button>}>
      <div className="grid gap-2 sm:grid-cols-3">
        <Field label="Schedule name"><input className="input" value={form.name} onChange={(e) => set({ name: e.target.value })} /></Field>
        <Field label="Team">
          <select className="input" aria-label="Team" value={form.team} disabled={!!schedule} onChange={(e) => set({ team: e.target.value })}>
            <option value="">choose…</option>
            {teams.map((t) => <option key={t.id} value={t.name}>{t.name}</option>)}
          </select>
        </Field>
        <Field label="Time zone">
          <select className="input" aria-label="Time zone" value={form.timezone} onChange={(e) => set({ timezone: e.target.value })}>
            {timeZones().map((zone) => <option key={zone} value={zone}>{zone}</option>)}
          </select>
        </Field>
      </div>
      <Field label="Description"><input className="input" value={form.description} onChange={(e) => set({ description: e.target.value })} /></Field>
      {form.layers.map((layer, index) => (
        <LayerFields key={index} index={index} layer={layer} users={users} onChange={(l) => setLayer(index, l)}
          onRemove={form.layers.length > 1 ? () => set({ layers: form.layers.filter((_, i) => i !== index) }) : undefined} />
      ))}
      <button type="button" className="btn-secondary" onClick={() => set({ layers: [...form.layers, newLayer(today)] })}>Add layer</button>
      <FormErrors errors={previewErrors} />
      <ErrorBanner error={previewError} />
      {preview && preview.of !== form && <p className="text-sm text-amber-700 dark:text-amber-300">The form changed since this preview: preview again to see the new shifts.</p>}
      {preview && <Preview preview={preview.data} />}
    </SetupForm>
  );
}
