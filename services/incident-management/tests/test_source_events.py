"""Alerts that resolve (issue #13), decided in the correlation transaction on the real database:
the same alert firing again joins its open incident however long the gap; a source's resolve
marks it resolved and, when every alert of the incident is resolved and the integration
auto-resolves, resolves the incident as ``integration:<name>``; an acknowledge acknowledges."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

URL = "/internal/v1/alert-batches"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(service: str, fingerprint: str, *, at: datetime = START, **fields: Any) -> dict[str, Any]:
    return {
        "alert_id": str(uuid.uuid4()),
        "service": service,
        "severity": "high",
        "fingerprint": fingerprint,
        "message": f"{fingerprint} is failing",
        "team": "web",
        "received_at": at.isoformat(),
        **fields,
    }


async def send(client: Any, *alerts: dict[str, Any]) -> list[tuple[str | None, str]]:
    response = await client.post(URL, json={"batch_id": str(uuid.uuid4()), "alerts": list(alerts)})
    assert response.status_code == 200, response.text
    return [(r["incident_id"], r["result"]) for r in response.json()["results"]]


async def test_the_same_alert_firing_again_joins_its_open_incident_however_long_the_gap(
    helpers: Any, service_name: str
) -> None:
    [(incident, result)] = await send(helpers.client, event(service_name, "fp-a"))
    assert result == "new_incident"
    # Alertmanager's repeat_interval: hours later, the same alert is a duplicate, not an incident.
    later = START + timedelta(hours=4)
    again = await send(helpers.client, event(service_name, "fp-a", at=later))
    assert again == [(incident, "duplicate")]
    # A *different* alert of the key past the window (from the latest alert) opens its own.
    past = later + timedelta(seconds=301)
    [(other, result)] = await send(helpers.client, event(service_name, "fp-b", at=past))
    assert other != incident and result == "new_incident"


async def test_resolving_every_alert_auto_resolves_the_incident_as_the_integration(
    helpers: Any, neighbours: Any, service_name: str
) -> None:
    actor = "integration:prod-alertmanager"
    placed = await send(
        helpers.client,
        event(service_name, "fp-1", actor=actor),
        event(service_name, "fp-2", actor=actor),
    )
    incident = placed[0][0]
    assert placed == [(incident, "new_incident"), (incident, "correlated")]
    assert incident is not None
    resolved = await send(
        helpers.client, event(service_name, "fp-1", action="resolve", actor=actor)
    )
    assert resolved == [(incident, "resolved")]
    assert (await helpers.detail(incident))["status"] == "open"  # fp-2 still fires

    await send(helpers.client, event(service_name, "fp-2", action="resolve", actor=actor))
    detail = await helpers.detail(incident)
    assert (detail["status"], detail["resolved_by"]) == ("resolved", actor)
    entries = [(e["event_type"], e["actor"]) for e in detail["timeline"]]
    assert ("alerts_resolved", actor) in entries and ("status_changed", actor) in entries
    assert [s["reason"] for s in neighbours.stops_for(incident)] == ["resolved"]
    # The alert count is of alerts fired, not of resolve notifications.
    assert detail["alert_count"] == 2

    # Firing again after the resolve opens a new incident; a late resolve touches nothing.
    [(fresh, result)] = await send(helpers.client, event(service_name, "fp-1"))
    assert fresh != incident and result == "new_incident"
    late = await send(helpers.client, event(service_name, "fp-2", action="resolve"))
    assert late == [(None, "ignored")]


async def test_without_auto_resolve_the_incident_says_so_and_waits_for_a_person(
    helpers: Any, service_name: str
) -> None:
    manual = {"actor": "integration:grafana-manual", "auto_resolve": False}
    [(incident, _)] = await send(helpers.client, event(service_name, "fp-m", **manual))
    assert incident is not None
    await send(helpers.client, event(service_name, "fp-m", action="resolve", **manual))
    detail = await helpers.detail(incident)
    assert detail["status"] == "open"
    assert "all_alerts_resolved" in [e["event_type"] for e in detail["timeline"]]
    # It fires again: still the same incident (a duplicate), firing once more.
    assert await send(helpers.client, event(service_name, "fp-m", **manual)) == [
        (incident, "duplicate")
    ]
    await send(helpers.client, event(service_name, "fp-m", action="resolve", **manual))
    kinds = [e["event_type"] for e in (await helpers.detail(incident))["timeline"]]
    assert kinds.count("all_alerts_resolved") == 2


async def test_acknowledge_from_the_source_acknowledges_the_open_incident(
    helpers: Any, neighbours: Any, service_name: str
) -> None:
    actor = "integration:pagerduty-sender"
    [(incident, _)] = await send(helpers.client, event(service_name, "dedup-1", actor=actor))
    acked = await send(
        helpers.client, event(service_name, "dedup-1", action="acknowledge", actor=actor)
    )
    assert acked == [(incident, "acknowledged")]
    assert incident is not None
    detail = await helpers.detail(incident)
    assert (detail["status"], detail["acknowledged_by"]) == ("acknowledged", actor)
    assert [s["reason"] for s in neighbours.stops_for(incident)] == ["acknowledged"]
    # A second acknowledge is harmless; unknown keys are ignored.
    again = await send(helpers.client, event(service_name, "dedup-1", action="acknowledge"))
    assert again == [(incident, "acknowledged")]
    unknown = await send(helpers.client, event(service_name, "nope", action="acknowledge"))
    assert unknown == [(None, "ignored")]


async def test_a_fire_and_its_resolve_in_one_batch_resolve_the_new_incident(
    helpers: Any, service_name: str
) -> None:
    placed = await send(
        helpers.client,
        event(service_name, "fp-x"),
        event(service_name, "fp-x", action="resolve"),
    )
    incident = placed[0][0]
    assert placed == [(incident, "new_incident"), (incident, "resolved")]
    assert incident is not None
    detail = await helpers.detail(incident)
    assert (detail["status"], detail["resolved_by"]) == ("resolved", "alert-ingestion")
