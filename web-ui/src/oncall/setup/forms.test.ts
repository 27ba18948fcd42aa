import { expect, it } from "vitest";
import type { EscalationPolicy, Schedule } from "../../api/types";
import { memberChanges, newPersonForm, personBody, personErrors, teamCreateBody, teamErrors } from "./peopleForms";
import { newPolicyForm, policyCreateBody, policyErrors, policyFormOf, policyUpdateBody } from "./policyForm";
import {
  newLayer,
  newScheduleForm,
  previewRequest,
  rotationErrors,
  scheduleCreateBody,
  scheduleErrors,
  scheduleFormOf,
  scheduleUpdateBody,
  timeZones,
} from "./scheduleForm";

it("builds the schedule body from the form: participants in order, days in week order, 00:00 as end of day", () => {
  const form = newScheduleForm("payments", "2026-03-02");
  form.name = "  Primary ";
  form.timezone = "Europe/Berlin";
  form.layers[0] = { ...form.layers[0], participants: ["u2", "u1", "u2"], rotation_type: "daily", shift_length: "2", restrictions: [{ days: ["fri", "mon"], start: "18:00", end: "00:00" }] };
  form.layers.push({ ...newLayer("2026-03-02"), name: "Weekends", participants: ["u3"] });
  expect(scheduleErrors(form)).toEqual([]);
  expect(scheduleCreateBody(form)).toEqual({
    name: "Primary",
    description: "",
    team: "payments",
    timezone: "Europe/Berlin",
    layers: [
      { participants: ["u2", "u1", "u2"], rotation_type: "daily", shift_length: 2, start_date: "2026-03-02", handoff_time: "09:00", restrictions: [{ days: ["mon", "fri"], start: "18:00", end: "24:00" }] },
      { name: "Weekends", participants: ["u3"], rotation_type: "weekly", shift_length: 1, start_date: "2026-03-02", handoff_time: "09:00", restrictions: [] },
    ],
  });
  expect(scheduleUpdateBody(form)).not.toHaveProperty("team");
  const from = new Date("2026-03-02T00:00:00Z");
  expect(previewRequest(form, from, 14)).toMatchObject({ timezone: "Europe/Berlin", from: "2026-03-02T00:00:00.000Z", to: "2026-03-16T00:00:00.000Z" });
});

it("says what is missing in the schedule form, layer by layer", () => {
  const form = newScheduleForm("", "2026-03-02");
  form.layers[0] = { ...form.layers[0], name: "Days", shift_length: "0", handoff_time: "", restrictions: [{ days: [], start: "09:00", end: "09:00" }] };
  expect(scheduleErrors(form)).toEqual([
    "Give the schedule a name.",
    "Pick the team that owns the schedule.",
    "Layer 1 (Days): add at least one person to the rotation.",
    "Layer 1 (Days): the shift length must be a whole number from 1 to 1000.",
    "Layer 1 (Days): the handoff time must be a time of day (HH:MM).",
    "Layer 1 (Days), on-call hours 1: tick at least one day.",
    "Layer 1 (Days), on-call hours 1: from and until must differ (00:00 to 00:00 is the whole day).",
  ]);
  // The preview needs the rotation only, not the name or the team.
  expect(rotationErrors({ layers: [{ ...newLayer("2026-03-02"), participants: ["u1"], shift_length: "1.5" }] })).toEqual([
    "Layer 1: the shift length must be a whole number from 1 to 1000.",
  ]);
  expect(rotationErrors({ layers: [] })).toEqual(["Add at least one layer."]);
});

it("round-trips a saved schedule through the form (24:00 shown as 00:00)", () => {
  const schedule = {
    id: "s1", name: "Primary", description: "d", team: { id: "t1", name: "payments" }, timezone: "UTC", ical_url: "", created_at: "", updated_at: "",
    layers: [{ id: "l1", level: 1, name: "Layer 1", participants: [{ id: "u1", name: "A", email: "a@x.io" }], rotation_type: "hourly", shift_length: 8, start_date: "2026-01-01", handoff_time: "06:00", restrictions: [{ days: ["sat"], start: "00:00", end: "24:00" }] }],
  } as Schedule;
  const form = scheduleFormOf(schedule);
  expect(form.layers[0].restrictions[0].end).toBe("00:00");
  expect(scheduleUpdateBody(form).layers?.[0]).toEqual({ name: "Layer 1", participants: ["u1"], rotation_type: "hourly", shift_length: 8, start_date: "2026-01-01", handoff_time: "06:00", restrictions: [{ days: ["sat"], start: "00:00", end: "24:00" }] });
});

it("builds the policy body: targets by type and picked id, numbers from the text boxes", () => {
  const form = newPolicyForm("payments");
  form.repeat_count = "2";
  form.levels[0].delay_minutes = "10";
  form.levels.push({ delay_minutes: "15", targets: [{ type: "schedule", id: "s1" }, { type: "user", id: "u1" }] });
  expect(policyErrors(form)).toEqual([]);
  expect(policyCreateBody(form)).toEqual({
    team: "payments",
    name: "payments escalation",
    description: "",
    repeat_count: 2,
    levels: [
      { delay_minutes: 10, targets: [{ type: "team_oncall", id: "payments" }] },
      { delay_minutes: 15, targets: [{ type: "schedule", id: "s1" }, { type: "user", id: "u1" }] },
    ],
  });
  expect(policyUpdateBody(form)).not.toHaveProperty("team");
  const saved = { id: "p1", version: 1, created_at: "", updated_at: "", ...policyCreateBody(form) } as EscalationPolicy;
  expect(policyCreateBody(policyFormOf(saved))).toEqual(policyCreateBody(form));
  // The service keeps team targets by id: the form shows them by name.
  const byId = { ...saved, levels: [{ delay_minutes: 10, targets: [{ type: "team_oncall" as const, id: "t-1" }] }] };
  expect(policyFormOf(byId, [{ id: "t-1", name: "payments" }]).levels[0].targets).toEqual([{ type: "team_oncall", id: "payments" }]);
});

it("says what is missing in the policy form", () => {
  const form = newPolicyForm("");
  form.repeat_count = "10";
  form.levels = [{ delay_minutes: "0", targets: [] }, { delay_minutes: "5", targets: [{ type: "user", id: "" }] }];
  expect(policyErrors(form)).toEqual([
    "Pick the team whose incidents this policy escalates.",
    "Give the policy a name.",
    "Repeats must be a whole number from 0 to 9.",
    "Level 1: add someone to page.",
    "Level 1: the wait must be a whole number of minutes from 1 to 1440.",
    "Level 2: pick who each target is.",
  ]);
});

it("builds a person with contact methods and the console account; checks addresses", () => {
  const form = { ...newPersonForm(), name: " Alice ", email: "alice@example.com", console_account: "alice", contacts: [{ type: "email" as const, address: " alice@example.com " }, { type: "sms" as const, address: "+1 555 0100" }] };
  expect(personErrors(form)).toEqual([]);
  expect(personBody(form)).toEqual({
    name: "Alice",
    email: "alice@example.com",
    timezone: "UTC",
    contact_methods: [{ type: "email", address: "alice@example.com" }, { type: "sms", address: "+1 555 0100" }],
    console_account: "alice",
  });
  expect(personBody({ ...form, console_account: "" }).console_account).toBeNull(); // unlinks
  const bad = { ...form, email: "alice", contacts: [{ type: "sms" as const, address: "call me" }, { type: "webhook" as const, address: "" }] };
  expect(personErrors(bad)).toEqual([
    "Fill in a valid email address (it identifies the person).",
    'Contact method 1: "call me" is not a phone number (digits, spaces, an optional leading +).',
    "Contact method 2: fill in the address or remove the row.",
  ]);
});

it("checks team names and turns a member edit into joins and leaves", () => {
  expect(teamErrors({ name: "Payments Team", description: "", members: [] })).toEqual([
    'Team names are lowercase letters, digits, - and _ (e.g. "payments-oncall"), not "Payments Team".',
  ]);
  expect(teamErrors({ name: "payments", description: "", members: [] })).toEqual([]);
  expect(teamCreateBody({ name: "payments", description: " d ", members: ["u1"] })).toEqual({ name: "payments", description: "d", members: [{ user_id: "u1", role: "member" }] });
  expect(memberChanges(["u1", "u2"], ["u2", "u3"])).toEqual({ add: ["u3"], remove: ["u1"] });
});

it("offers UTC first among the time zones", () => {
  expect(timeZones()[0]).toBe("UTC");
  expect(timeZones()).toContain("Europe/Berlin");
});
