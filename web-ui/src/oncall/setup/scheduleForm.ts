// The schedule form's state, its checks (messages a person can act on) and the API bodies built
// from it. Participants are user ids picked by name in the form; nothing here is typed as an id.
import type { LayerIn, RestrictionIn, Schedule, ScheduleCreate, SchedulePreviewRequest, ScheduleUpdate, Weekday } from "../../api/types";

export const WEEKDAYS: Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const ROTATIONS = ["hourly", "daily", "weekly"] as const;
export type Rotation = (typeof ROTATIONS)[number];
const CLOCK = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

export interface RestrictionState {
  days: Weekday[];
  start: string;
  /** "00:00" as an end means midnight at the end of the day (the API's 24:00). */
  end: string;
}

export interface LayerState {
  name: string;
  /** User ids in rotation order (picked by name; may repeat). */
  participants: string[];
  rotation_type: Rotation;
  /** As typed: checked to be a whole number 1-1000. */
  shift_length: string;
  start_date: string;
  handoff_time: string;
  restrictions: RestrictionState[];
}

export interface ScheduleFormState {
  name: string;
  description: string;
  /** The owning team's name (fixed once saved). */
  team: string;
  timezone: string;
  layers: LayerState[];
}

export function newLayer(today: string): LayerState {
  return { name: "", participants: [], rotation_type: "weekly", shift_length: "1", start_date: today, handoff_time: "09:00", restrictions: [] };
}

export function newRestriction(): RestrictionState {
  return { days: ["mon", "tue", "wed", "thu", "fri"], start: "09:00", end: "17:00" };
}

export function newScheduleForm(team: string, today: string): ScheduleFormState {
  return { name: "", description: "", team, timezone: "UTC", layers: [newLayer(today)] };
}

/** A saved schedule as form state (to edit it). */
export function scheduleFormOf(schedule: Schedule): ScheduleFormState {
  return {
    name: schedule.name,
    description: schedule.description,
    team: schedule.team.name,
    timezone: schedule.timezone,
    layers: schedule.layers.map((layer) => ({
      name: layer.name,
      participants: layer.participants.map((p) => p.id),
      rotation_type: layer.rotation_type,
      shift_length: String(layer.shift_length),
      start_date: layer.start_date,
      handoff_time: layer.handoff_time,
      restrictions: layer.restrictions.map((r) => ({ days: r.days, start: r.start, end: r.end === "24:00" ? "00:00" : r.end })),
    })),
  };
}

function layerErrors(layer: LayerState, label: string): string[] {
  const errors: string[] = [];
  if (layer.participants.length === 0) errors.push(`${label}: add at least one person to the rotation.`);
  const length = Number(layer.shift_length);
  if (!/^\d+$/.test(layer.shift_length.trim()) || length < 1 || length > 1000) {
    errors.push(`${label}: the shift length must be a whole number from 1 to 1000.`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(layer.start_date)) errors.push(`${label}: pick the date of the first handoff.`);
  if (!CLOCK.test(layer.handoff_time)) errors.push(`${label}: the handoff time must be a time of day (HH:MM).`);
  layer.restrictions.forEach((r, index) => {
    const where = `${label}, on-call hours ${index + 1}`;
    if (r.days.length === 0) errors.push(`${where}: tick at least one day.`);
    if (!CLOCK.test(r.start) || !CLOCK.test(r.end)) errors.push(`${where}: from and until must be times of day (HH:MM).`);
    else if (r.start === r.end && r.start !== "00:00") errors.push(`${where}: from and until must differ (00:00 to 00:00 is the whole day).`);
  });
  return errors;
}

/** What stops the schedule from being saved, in words; empty when it can be sent. */
export function scheduleErrors(form: ScheduleFormState): string[] {
  const errors: string[] = [];
  if (!form.name.trim()) errors.push("Give the schedule a name.");
  if (!form.team) errors.push("Pick the team that owns the schedule.");
  if (!form.timezone) errors.push("Pick the schedule's time zone.");
  return [...errors, ...rotationErrors(form)];
}

/** The checks the preview needs (no name or team yet). */
export function rotationErrors(form: Pick<ScheduleFormState, "layers">): string[] {
  if (form.layers.length === 0) return ["Add at least one layer."];
  return form.layers.flatMap((layer, index) => layerErrors(layer, layerLabel(layer, index)));
}

export function layerLabel(layer: LayerState, index: number): string {
  return layer.name.trim() ? `Layer ${index + 1} (${layer.name.trim()})` : `Layer ${index + 1}`;
}

function restrictionBody(r: RestrictionState): RestrictionIn {
  const days = WEEKDAYS.filter((day) => r.days.includes(day)); // in week order, once each
  return { days, start: r.start, end: r.end === "00:00" ? "24:00" : r.end };
}

export function layersBody(layers: LayerState[]): LayerIn[] {
  return layers.map((layer) => ({
    ...(layer.name.trim() ? { name: layer.name.trim() } : {}),
    participants: layer.participants,
    rotation_type: layer.rotation_type,
    shift_length: Number(layer.shift_length),
    start_date: layer.start_date,
    handoff_time: layer.handoff_time,
    restrictions: layer.restrictions.map(restrictionBody),
  }));
}

export function scheduleCreateBody(form: ScheduleFormState): ScheduleCreate {
  return { name: form.name.trim(), description: form.description.trim(), team: form.team, timezone: form.timezone, layers: layersBody(form.layers) };
}

/** An edit replaces every layer; the team stays. */
export function scheduleUpdateBody(form: ScheduleFormState): ScheduleUpdate {
  return { name: form.name.trim(), description: form.description.trim(), timezone: form.timezone, layers: layersBody(form.layers) };
}

export function previewRequest(form: ScheduleFormState, from: Date, days: number): SchedulePreviewRequest {
  return { timezone: form.timezone, layers: layersBody(form.layers), from: from.toISOString(), to: new Date(from.getTime() + days * 86_400_000).toISOString() };
}

/** Every IANA zone the browser knows, UTC first. */
export function timeZones(): string[] {
  // Intl.supportedValuesOf is ES2022 (every browser since 2022); the lib setting here is older.
  const intl = Intl as unknown as { supportedValuesOf?: (key: "timeZone") => string[] };
  const known = intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...known.filter((zone) => zone !== "UTC")];
}
