"""An alert right after a resolve, across the real services (the `make up` stack): it never joins
the resolved incident, whatever is down at the time. Issue #11's race, without retries: every
answer is checked once, as a sender would get it.

The invariant checked at the end of each test, over every alert the test sent: no alert received
after its incident's ``resolved_at`` is on that incident, and every incident an answer names was
open when the answer was given.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.stack_runner import Stack


@pytest.fixture
def ingestion(running_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running_stack.urls["alert-ingestion"], timeout=15) as client:
        yield client


@pytest.fixture
def incidents(running_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running_stack.urls["incident-management"], timeout=15) as client:
        yield client


def _alert(service: str, message: str = "HTTP 5xx error rate > 10%") -> dict[str, Any]:
    return {"service": service, "severity": "high", "message": message}


def _post(ingestion: httpx.Client, body: dict[str, Any], *statuses: int) -> dict[str, Any]:
    response = ingestion.post("/api/v1/alerts", json=body)
    assert response.status_code in (statuses or (201,)), response.text
    return response.json()  # type: ignore[no-any-return]


def _resolve(incidents: httpx.Client, incident_id: str) -> None:
    response = incidents.patch(f"/api/v1/incidents/{incident_id}", json={"status": "resolved"})
    assert response.status_code == 200, response.text


def _assert_no_alert_after_a_resolve(
    ingestion: httpx.Client, incidents: httpx.Client, service: str
) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):  # bounded: the tests send well under 20 pages
        params: dict[str, Any] = {"service": service, "limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = ingestion.get("/api/v1/alerts", params=params).json()
        alerts += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    resolved_at: dict[str, datetime | None] = {}
    for alert in alerts:
        incident_id = alert["incident_id"]
        assert incident_id is not None, alert  # every alert is on an incident by now
        if incident_id not in resolved_at:
            incident = incidents.get(f"/api/v1/incidents/{incident_id}").json()
            stamp = incident["resolved_at"]
            resolved_at[incident_id] = datetime.fromisoformat(stamp) if stamp else None
        if (stamp := resolved_at[incident_id]) is not None:
            assert datetime.fromisoformat(alert["received_at"]) <= stamp, (alert, stamp)
    return alerts


def test_resolve_then_post_at_once_200_times(
    ingestion: httpx.Client, incidents: httpx.Client
) -> None:
    service = f"race-{uuid.uuid4().hex[:8]}"
    incident_id = _post(ingestion, _alert(service))["incident_id"]
    seen = {incident_id}
    for _ in range(200):
        _resolve(incidents, incident_id)
        answer = _post(ingestion, _alert(service))
        assert answer["result"] == "new_incident", answer
        assert answer["incident_id"] not in seen
        incident_id = answer["incident_id"]
        seen.add(incident_id)
    assert len(_assert_no_alert_after_a_resolve(ingestion, incidents, service)) == 201


def test_resolve_while_ingestion_is_down(
    running_stack: Stack, ingestion: httpx.Client, incidents: httpx.Client
) -> None:
    """Nothing has to reach ingestion for a resolve to take effect."""
    service = f"race-down-{uuid.uuid4().hex[:8]}"
    incident_id = _post(ingestion, _alert(service))["incident_id"]
    running_stack.stop_service("alert-ingestion")
    try:
        _resolve(incidents, incident_id)
    finally:
        running_stack.up()  # starts what is missing: ingestion comes back
    answer = _post(ingestion, _alert(service))
    assert answer["result"] == "new_incident" and answer["incident_id"] != incident_id
    _assert_no_alert_after_a_resolve(ingestion, incidents, service)


def test_alert_pending_while_its_incident_is_resolved(
    running_stack: Stack, ingestion: httpx.Client, incidents: httpx.Client
) -> None:
    """An alert accepted while incident-management was down waits in ingestion's link queue;
    its incident is resolved before the link worker places it; alerts after the resolve open a
    new incident and the pending one never lands on the resolved incident after its resolve."""
    service = f"race-pending-{uuid.uuid4().hex[:8]}"
    incident_id = _post(ingestion, _alert(service))["incident_id"]
    running_stack.stop_service("incident-management")
    try:
        pending = _post(ingestion, _alert(service, "queue depth > 10k"), 202)
        assert (pending["link_status"], pending["incident_id"]) == ("pending", None)
    finally:
        running_stack.up()
    _resolve(incidents, incident_id)
    after = _post(ingestion, _alert(service, "disk full"))
    assert after["incident_id"] != incident_id and after["result"] in ("new_incident", "correlated")
    deadline = time.monotonic() + 60  # the worker's capped backoff is 30 s
    while ingestion.get(f"/api/v1/alerts/{pending['alert_id']}").json()["incident_id"] is None:
        assert time.monotonic() < deadline, "the pending alert was never placed"
        time.sleep(0.2)
    _assert_no_alert_after_a_resolve(ingestion, incidents, service)
