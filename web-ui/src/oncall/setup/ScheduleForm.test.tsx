import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, expect, it, vi } from "vitest";
import { ROUTER_FUTURE } from "../../App";
import type { OncallUser, Team } from "../../api/types";
import { fakeApi, signIn } from "../../test/fakeApi";
import { ScheduleForm } from "./ScheduleForm";

afterEach(() => vi.unstubAllGlobals());

const person = (id: string, name: string) =>
  ({ id, name, email: `${id}@example.com`, phone: null, timezone: "UTC", contact_methods: [], created_at: "", updated_at: "" }) as OncallUser;
const USERS = [person("u1", "Ana"), person("u2", "Ben")];
const TEAMS = [{ id: "t1", name: "payments", description: "", members: [], created_at: "", updated_at: "" }] as Team[];

it("previews the unsaved rotation, then saves the same layers; nothing is sent while a check fails", async () => {
  signIn("admin");
  const start = new Date();
  const shift = (name: string, hours: number) => ({
    start: new Date(start.getTime() + hours * 3_600_000).toISOString(),
    end: new Date(start.getTime() + (hours + 24) * 3_600_000).toISOString(),
    user: { id: name, name, email: "" }, source: "layer", layer_id: null, layer_name: "Layer 1", layer_level: 1,
  });
  const { calls } = fakeApi({
    "POST /api/v1/schedules/preview": (body) => {
      const { from, to, timezone } = body as { from: string; to: string; timezone: string };
      return { body: { timezone, from, to, shifts: [shift("Ben", 0), shift("Ana", 24)], gaps: [] } };
    },
    "POST /api/v1/schedules": () => ({ status: 201, body: {} }),
  });
  const onSaved = vi.fn(async () => undefined);
  render(
    <MemoryRouter future={ROUTER_FUTURE}>
      <ScheduleForm teams={TEAMS} users={USERS} onSaved={onSaved} onCancel={() => undefined} />
    </MemoryRouter>,
  );

  await userEvent.click(screen.getByRole("button", { name: "Save" }));
  const alert = await screen.findByRole("alert");
  expect(alert).toHaveTextContent("Give the schedule a name.");
  expect(alert).toHaveTextContent("Layer 1: add at least one person to the rotation.");
  expect(calls).toHaveLength(0);

  await userEvent.type(screen.getByLabelText("Schedule name"), "Primary");
  const rotation = screen.getByRole("group", { name: "Layer 1 rotation" });
  for (const id of ["u2", "u1"]) {
    await userEvent.selectOptions(within(rotation).getByLabelText("Add to Layer 1 rotation"), id);
    await userEvent.click(within(rotation).getByRole("button", { name: "Add" }));
  }
  await userEvent.click(screen.getByRole("button", { name: "Preview shifts" }));
  const rows = await screen.findAllByTestId("preview-shift");
  expect(rows.map((row) => row.textContent?.split(" · ")[0])).toEqual(["Ben", "Ana"]);
  const preview = calls.find((c) => c.path === "/api/v1/schedules/preview")?.body as { layers: { participants: string[] }[] };
  expect(preview.layers[0].participants).toEqual(["u2", "u1"]);
  expect(screen.queryByText(/The form changed since this preview/)).toBeNull();

  await userEvent.click(screen.getByRole("button", { name: "Save" }));
  expect(onSaved).toHaveBeenCalled();
  const saved = calls.find((c) => c.method === "POST" && c.path === "/api/v1/schedules")?.body as Record<string, unknown>;
  expect(saved).toMatchObject({ name: "Primary", team: "payments", timezone: "UTC", layers: preview.layers });
});
