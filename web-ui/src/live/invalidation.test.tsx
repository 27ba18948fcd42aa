// A pushed change invalidates exactly the queries of its kind; nothing else is refetched.
import { act, render, screen, waitFor } from "@testing-library/react";
import { afterEach, expect, it, vi } from "vitest";
import { fakeApi, signIn } from "../test/fakeApi";
import { LiveProvider, useLiveData } from "./LiveContext";
import { useApiQuery } from "../hooks";

afterEach(() => vi.unstubAllGlobals());

function LiveCounter({ kind, load }: { kind: "incidents" | "alerts"; load: () => Promise<number> }) {
  return <p data-testid={kind}>{useLiveData([kind, "probe"], load).data ?? "…"}</p>;
}

function DashboardCounter({ load }: { load: () => Promise<number> }) {
  return <p data-testid="dashboard">{useApiQuery(["dashboard", "probe"], load).data ?? "…"}</p>;
}

function TeamsCounter({ load }: { load: () => Promise<number> }) {
  return <p data-testid="teams">{useApiQuery(["oncall", "teams"], load).data ?? "…"}</p>;
}

it("refetches the incidents queries on an incidents event, the alerts ones on an alerts event, nothing else", async () => {
  signIn("viewer");
  fakeApi({ "GET /api/v1/incidents": () => ({ body: { items: [], total: 0 } }) }); // the title's count
  const jsonFetch = globalThis.fetch as unknown as (input: string | Request) => Promise<Response>;
  let push: (text: string) => void = () => undefined;
  vi.stubGlobal("fetch", (input: string | Request) => {
    if (typeof input !== "string") return jsonFetch(input);
    const stream = new ReadableStream<Uint8Array>({ start: (controller) => void (push = (text) => controller.enqueue(new TextEncoder().encode(text))) });
    return Promise.resolve(new Response(stream, { headers: { "Content-Type": "text/event-stream" } }));
  });
  const loads = { incidents: 0, alerts: 0, teams: 0 };
  const counter = (name: keyof typeof loads) => async () => ++loads[name];
  render(
    <LiveProvider enabled>
      <LiveCounter kind="incidents" load={counter("incidents")} />
      <LiveCounter kind="alerts" load={counter("alerts")} />
      <TeamsCounter load={counter("teams")} />
    </LiveProvider>,
  );
  await waitFor(() => expect(screen.getByTestId("teams")).toHaveTextContent("1"));
  await waitFor(() => expect(screen.getByTestId("incidents")).toHaveTextContent("1"));
  act(() => push("event: incidents\ndata: {}\n\n"));
  await waitFor(() => expect(screen.getByTestId("incidents")).toHaveTextContent("2"));
  act(() => push("event: alerts\ndata: {}\n\n"));
  await waitFor(() => expect(screen.getByTestId("alerts")).toHaveTextContent("2"));
  expect(loads).toEqual({ incidents: 2, alerts: 2, teams: 1 });
});

it("refreshes the dashboard's aggregates on a pushed change, but a burst only once per window", async () => {
  signIn("viewer");
  fakeApi({ "GET /api/v1/incidents": () => ({ body: { items: [], total: 0 } }) });
  const jsonFetch = globalThis.fetch as unknown as (input: string | Request) => Promise<Response>;
  let push: (text: string) => void = () => undefined;
  vi.stubGlobal("fetch", (input: string | Request) => {
    if (typeof input !== "string") return jsonFetch(input);
    const stream = new ReadableStream<Uint8Array>({ start: (controller) => void (push = (text) => controller.enqueue(new TextEncoder().encode(text))) });
    return Promise.resolve(new Response(stream, { headers: { "Content-Type": "text/event-stream" } }));
  });
  const loads = { incidents: 0, dashboard: 0 };
  const counter = (name: keyof typeof loads) => async () => ++loads[name];
  render(
    <LiveProvider enabled>
      <LiveCounter kind="incidents" load={counter("incidents")} />
      <DashboardCounter load={counter("dashboard")} />
    </LiveProvider>,
  );
  await waitFor(() => expect(screen.getByTestId("dashboard")).toHaveTextContent("1"));
  act(() => push("event: incidents\ndata: {}\n\n"));
  await waitFor(() => expect(screen.getByTestId("dashboard")).toHaveTextContent("2"));
  // A storm: the rows follow every batch, the aggregates wait for the end of the 5 s window.
  for (let i = 0; i < 10; i++) {
    act(() => push("event: incidents\ndata: {}\n\n"));
    await waitFor(() => expect(loads.incidents).toBeGreaterThan(i + 1));
  }
  expect(loads.dashboard).toBe(2);
});
