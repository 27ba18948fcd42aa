"""The whole alert-to-resolution flow across the real services, as processes talking HTTP
(`make up` stack): alert → incident → on-call lookup → notification recorded → acknowledge →
resolve → MTTA/MTTR and the metrics. Team, user and schedule are set up through the on-call API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.stack_runner import Stack, always_on_call_schedule

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, attempts: int = 150) -> T:
    """Poll until ``probe`` gives a value (the services work asynchronously); bounded."""
    for _ in range(attempts):
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def metric(client: httpx.Client, name: str, **labels: str) -> float:
    text = client.get("/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def _ok(response: httpx.Response, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200,)), response.text
    return response.json()


def _set_up_oncall(oncall: httpx.Client, suffix: str) -> tuple[str, dict[str, Any]]:
    """A user, a team with that user, and a schedule putting the user on call around the clock."""
    user = _ok(
        oncall.post(
            "/api/v1/users",
            json={"name": f"Alice {suffix}", "email": f"alice-{suffix}@example.com"},
        ),
        201,
    )
    team = f"e2e-{suffix}"
    _ok(
        oncall.post(
            "/api/v1/teams",
            json={"name": team, "members": [{"user_id": user["id"]}]},
        ),
        201,
    )
    _ok(
        oncall.post(
            "/api/v1/schedules",
            json=always_on_call_schedule(name=f"primary-{suffix}", team=team, user_id=user["id"]),
        ),
        201,
    )
    current = _ok(oncall.get("/api/v1/oncall/current", params={"team": team}))
    assert user["id"] in str(current), current
    return team, user


@dataclass
class Clients:
    ingestion: httpx.Client
    incidents: httpx.Client
    oncall: httpx.Client
    notification: httpx.Client
    service_headers: dict[str, str]  # the stack's service credential: lets a call name its actor


@pytest.fixture
def clients(running_stack: Stack) -> Iterator[Clients]:
    urls = running_stack.urls
    with (
        httpx.Client(base_url=urls["alert-ingestion"], timeout=15) as ingestion,
        httpx.Client(base_url=urls["incident-management"], timeout=15) as incidents,
        httpx.Client(base_url=urls["oncall-escalation"], timeout=15) as oncall,
        httpx.Client(base_url=urls["notification"], timeout=15) as notification,
    ):
        yield Clients(ingestion, incidents, oncall, notification, running_stack.service_headers())


def _incident_of(ingestion: httpx.Client, accepted: dict[str, Any]) -> str:
    """The alert's incident: at once (201), or once ingestion has linked it (202)."""
    return accepted["incident_id"] or eventually(  # type: ignore[no-any-return]
        lambda: _ok(ingestion.get(f"/api/v1/alerts/{accepted['alert_id']}"))["incident_id"],
        "the alert linked to an incident",
    )


def _delivered_pages(notification: httpx.Client, incident_id: str) -> list[dict[str, Any]] | None:
    page = _ok(notification.get("/api/v1/notifications", params={"incident_id": incident_id}))
    return [n for n in page["items"] if n["status"] == "delivered"] or None


def test_alert_to_resolution_across_the_real_services(clients: Clients) -> None:
    suffix = uuid.uuid4().hex[:8]
    ingestion, incidents = clients.ingestion, clients.incidents
    oncall, notification = clients.oncall, clients.notification
    team, user = _set_up_oncall(oncall, suffix)
    created_before = metric(incidents, "incidents_created_total", severity="critical")

    # 1. An alert opens an incident for the team named in its labels.
    alert = {
        "service": f"checkout-{suffix}",
        "severity": "critical",
        "message": "HTTP 5xx error rate > 10%",
        "labels": {"team": team, "env": "production"},
    }
    # incident-management places each alert before ingestion answers: 201 with its incident.
    first = _ok(ingestion.post("/api/v1/alerts", json=alert), 201)
    assert first["result"] == "new_incident"
    incident_id = first["incident_id"]
    duplicate = _ok(ingestion.post("/api/v1/alerts", json=alert), 201)
    assert duplicate["result"] == "duplicate"
    correlated = _ok(
        ingestion.post("/api/v1/alerts", json={**alert, "message": "p99 latency > 2s"}), 201
    )
    assert correlated["result"] == "correlated"
    assert duplicate["incident_id"] == correlated["incident_id"] == incident_id

    incident = _ok(incidents.get(f"/api/v1/incidents/{incident_id}"))
    assert (incident["status"], incident["severity"], incident["team"]) == (
        "open",
        "critical",
        team,
    )

    # 2. On-call looks up who is on call and pages them through the notification service.
    [page] = eventually(
        lambda: _delivered_pages(notification, incident_id), "the on-call person notified"
    )
    assert page["recipient"] == user["email"] and page["channel"] == "mock"

    def timeline_has(*kinds: str) -> list[dict[str, Any]] | None:
        entries = _ok(incidents.get(f"/api/v1/incidents/{incident_id}"))["timeline"]
        seen = {e["event_type"] for e in entries}
        return entries if set(kinds) <= seen else None

    timeline = eventually(
        lambda: timeline_has("created", "escalation_started", "oncall_lookup", "notification_sent"),
        "the lookup and the page on the incident timeline",
    )
    lookup = next(e for e in timeline if e["event_type"] == "oncall_lookup")
    assert user["name"] in lookup["message"]

    # The alerts were on the incident when ingestion answered; it shows them from ingestion.
    detail = _ok(incidents.get(f"/api/v1/incidents/{incident_id}"))
    assert (detail["alert_count"], detail["duplicate_count"]) == (3, 1)
    assert detail["alerts_source"] == "ingestion" and len(detail["alerts"]) == 3
    assert [e["event_type"] for e in detail["timeline"]].count("alerts_attached") == 2

    # 3. Acknowledge: the escalation stops before the answer; a second ack is refused.
    acked = _ok(
        incidents.patch(
            f"/api/v1/incidents/{incident_id}",
            json={"status": "acknowledged"},
            headers={"X-Actor": user["name"], **clients.service_headers},
        )
    )
    assert acked["acknowledged_by"] == user["name"] and acked["mtta_seconds"] > 0
    escalation = _ok(oncall.get(f"/api/v1/escalations/{incident_id}"))
    assert escalation["status"] == "stopped" and escalation["stop_reason"] == "acknowledged"
    again = incidents.patch(f"/api/v1/incidents/{incident_id}", json={"status": "acknowledged"})
    assert again.status_code == 409
    assert again.json()["error"]["details"]["allowed_transitions"] == [
        "in_progress",
        "resolved",
    ]

    # 4. Resolve with a note: MTTA and MTTR are measured.
    resolved = _ok(
        incidents.patch(
            f"/api/v1/incidents/{incident_id}",
            json={"status": "resolved", "notes": "Fixed the root cause"},
        )
    )
    assert resolved["status"] == "resolved"
    metrics = _ok(incidents.get(f"/api/v1/incidents/{incident_id}/metrics"))
    assert 0 < metrics["mtta_seconds"] <= metrics["mttr_seconds"]
    final = _ok(incidents.get(f"/api/v1/incidents/{incident_id}"))
    assert [n["body"] for n in final["notes"]] == ["Fixed the root cause"]
    transitions = [
        (e["data"]["from"], e["data"]["to"])
        for e in final["timeline"]
        if e["event_type"] == "status_changed"
    ]
    assert transitions == [("open", "acknowledged"), ("acknowledged", "resolved")]

    # 5. The same alert, right after the resolve, opens a new incident (no waiting, no retry).
    fresh = _ok(ingestion.post("/api/v1/alerts", json=alert), 201)
    assert fresh["result"] == "new_incident" and fresh["incident_id"] != incident_id

    # 6. The metrics, by their contract names.
    assert metric(incidents, "incidents_created_total", severity="critical") >= (created_before + 2)
    assert metric(incidents, "incidents_by_status", status="resolved") >= 1
    assert metric(incidents, "incident_mtta_seconds_count") >= 1
    assert metric(incidents, "incident_mttr_seconds_count") >= 1
    assert metric(ingestion, "alerts_received_total", severity="critical") >= 4
    assert metric(oncall, "oncall_notifications_sent_total", channel="mock") >= 1
    assert metric(notification, "notifications_sent_total", channel="mock") >= 1
    summary = _ok(
        incidents.get("/api/v1/incidents/stats/summary", params={"since": incident["created_at"]})
    )
    assert summary["by_status"]["resolved"] >= 1 and summary["mttr"]["count"] >= 1


def test_oncall_down_incident_still_created_and_paged_once_it_is_back(
    running_stack: Stack, clients: Clients
) -> None:
    suffix = uuid.uuid4().hex[:8]
    ingestion, incidents = clients.ingestion, clients.incidents
    oncall, notification = clients.oncall, clients.notification
    team, user = _set_up_oncall(oncall, suffix)
    running_stack.stop_service("oncall-escalation")
    try:
        alert = {
            "service": f"payments-{suffix}",
            "severity": "high",
            "message": "queue depth > 10k",
            "labels": {"team": team},
        }
        accepted = _ok(ingestion.post("/api/v1/alerts", json=alert), 201, 202)
        incident_id = _incident_of(ingestion, accepted)
        incident = _ok(incidents.get(f"/api/v1/incidents/{incident_id}"))
        assert incident["status"] == "open" and incident["team"] == team
        kinds = {e["event_type"] for e in incident["timeline"]}
        assert "escalation_started" not in kinds
    finally:
        running_stack.up()  # starts what is missing: on-call comes back

    [page] = eventually(
        lambda: _delivered_pages(notification, incident_id),
        "the page sent once on-call is back",
        attempts=600,
    )
    assert page["recipient"] == user["email"]
    timeline = _ok(incidents.get(f"/api/v1/incidents/{incident_id}"))["timeline"]
    assert [e["event_type"] for e in timeline].count("escalation_started") == 1
