"""The end-to-end incident flow, driven through the services' public HTTP APIs.

alert -> incident -> on-call page -> notification -> manual escalation -> acknowledge -> resolve,
plus the gateway (a refused and an authenticated request), so every dashboard panel has something to show.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.stack_runner import ADMIN


@dataclass
class FlowResult:
    incident_id: str
    alert_results: list[str]
    notifications: list[dict[str, Any]]


def _ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in codes, (
        f"{response.request.method} {response.request.url}: "
        f"{response.status_code} {response.text[:500]}"
    )
    return response.json() if response.content else None


def _poll(fetch: Any, what: str, attempts: int = 120, pause: float = 0.25) -> Any:
    for _ in range(attempts):
        value = fetch()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError(f"timed out waiting for {what}")


def set_up_oncall(urls: dict[str, str], *, team: str, suffix: str) -> str:
    """A user on call around the clock for `team`, so the new incident pages someone.

    No contact methods: the on-call service then pages the user's email through the mock channel,
    which always delivers (real channels need credentials this test does not have)."""
    oncall = urls["oncall-escalation"]
    user = _ok(
        httpx.post(
            f"{oncall}/api/v1/users",
            json={
                "name": f"Dana Dashboards {suffix}",
                "email": f"dana-{suffix}@example.com",
            },
            timeout=10,
        ),
        201,
    )
    _ok(
        httpx.post(
            f"{oncall}/api/v1/teams",
            json={"name": team, "members": [{"user_id": user["id"]}]},
            timeout=10,
        ),
        201,
    )
    _ok(
        httpx.post(
            f"{oncall}/api/v1/schedules",
            json={
                "name": f"{team} primary",
                "team": team,
                "layers": [
                    {
                        "participants": [user["id"]],
                        "rotation_type": "weekly",
                        "shift_length": 1,
                        "start_date": "2020-01-06",
                    }
                ],
            },
            timeout=10,
        ),
        201,
    )
    return str(user["id"])


def _send_alert(ingestion: str, alert: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = _ok(
        httpx.post(f"{ingestion}/api/v1/alerts", json=alert, timeout=10), 200, 201, 202
    )
    return body


def _incident_of(ingestion: str, alert: dict[str, Any]) -> str:
    if alert.get("incident_id"):
        return str(alert["incident_id"])

    def linked() -> str | None:  # 202: linking to the incident is still pending
        body = _ok(httpx.get(f"{ingestion}/api/v1/alerts/{alert['id']}", timeout=10), 200)
        return body.get("incident_id")

    return str(_poll(linked, "the alert to be linked to an incident"))


def drive_incident_flow(urls: dict[str, str], *, team: str, suffix: str) -> FlowResult:
    ingestion, incidents = urls["alert-ingestion"], urls["incident-management"]
    alert = {
        "service": f"checkout-{suffix}",
        "severity": "high",
        "message": "p99 latency above SLO",
        "labels": {"team": team, "env": "production"},
    }
    first = _send_alert(ingestion, alert)
    duplicate = _send_alert(ingestion, alert)
    correlated = _send_alert(ingestion, {**alert, "message": "error rate above 5%"})
    incident_id = _incident_of(ingestion, first)

    def notified() -> list[dict[str, Any]]:
        page = _ok(
            httpx.get(
                f"{urls['notification']}/api/v1/notifications",
                params={"incident_id": incident_id},
                timeout=10,
            ),
            200,
        )
        return [n for n in page["items"] if n["status"] == "delivered"]

    notifications = _poll(notified, "the on-call page to be delivered")
    # The responder escalates by hand before acknowledging (escalations_total counts it).
    _ok(
        httpx.post(
            f"{urls['oncall-escalation']}/api/v1/escalate",
            json={"incident_id": incident_id},
            timeout=10,
        ),
        200,
    )

    for change in ({"status": "acknowledged"}, {"status": "resolved", "notes": "Rolled back"}):
        _ok(
            httpx.patch(
                f"{incidents}/api/v1/incidents/{incident_id}",
                json=change,
                timeout=10,
            ),
            200,
        )

    gateway = urls["api-gateway"]
    _ok(httpx.get(f"{gateway}/api/v1/incidents", timeout=10), 401)
    token = _ok(
        httpx.post(
            f"{gateway}/api/v1/auth/login",
            json={"username": ADMIN[0], "password": ADMIN[1]},
            timeout=10,
        ),
        200,
    )["access_token"]
    _ok(
        httpx.get(
            f"{gateway}/api/v1/incidents/{incident_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ),
        200,
    )
    return FlowResult(
        incident_id=incident_id,
        alert_results=[a.get("result", "") for a in (first, duplicate, correlated)],
        notifications=notifications,
    )
