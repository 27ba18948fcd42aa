"""Silences and heartbeats end to end (issue #16) on the real stack (`make up` on free ports),
everything through the gateway's public address, incident-management real:

- a responder silences a service: its alert is stored and shown as silenced, opens no incident;
  a viewer may not silence; expiring the silence, the alert (never resolved) opens one, and the
  same alert arriving again joins it;
- a heartbeat never pinged is missed past interval + grace: its alert opens an incident through
  the normal path; a ping from curl's point of view (no login) resolves it.

The heartbeat deadline runs on the real clock (10 s, the shortest interval): the wait states its
bound. The fast-forwarded clock and two workers are in services/alert-ingestion/tests.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.integration_tools import within
from tests.stack_runner import ADMIN, Stack

MISSED_BOUND_SECONDS = 45
RELEASE_BOUND_SECONDS = 15  # an expiry wakes the release worker: well under its 5 s poll  # 10 s deadline + the worker's 5 s poll, with room for a loaded machine


def _login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _account(client: httpx.Client, admin: dict[str, str], role: str) -> dict[str, str]:
    username, password = f"{role}-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    created = client.post(
        "/api/v1/accounts",
        json={
            "username": username,
            "password": password,
            "role": role,
            "must_change_password": False,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return _login(client, username, password)


def _incidents(client: httpx.Client, headers: dict[str, str], service: str) -> list[Any]:
    response = client.get("/api/v1/incidents", params={"service": service}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"] if isinstance(body, dict) else body  # type: ignore[no-any-return]


def test_a_silenced_alert_opens_no_incident_until_the_silence_is_expired(
    running_stack: Stack,
) -> None:
    service = f"checkout-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=running_stack.urls["api-gateway"], timeout=15) as client:
        admin = _login(client, *ADMIN)
        responder = _account(client, admin, "responder")
        viewer = _account(client, admin, "viewer")
        body = {
            "matchers": [f'service="{service}"', 'severity=~"critical|high"'],
            "ends_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "comment": "deploying checkout",
        }
        assert client.post("/api/v1/silences", json=body, headers=viewer).status_code == 403
        bad = client.post(
            "/api/v1/silences", json={**body, "matchers": ['service=~"(x"']}, headers=responder
        )
        assert bad.status_code == 422 and "service=~" in bad.json()["error"]["message"]
        made = client.post("/api/v1/silences", json=body, headers=responder)
        assert made.status_code == 201, made.text
        silence = made.json()
        assert silence["created_by"].startswith("responder-")

        alert = {"service": service, "severity": "high", "message": "5xx above 10%"}
        held = client.post("/api/v1/alerts", json=alert, headers=admin)
        assert held.status_code == 201, held.text
        assert held.json()["result"] == "suppressed" and held.json()["incident_id"] is None
        shown = client.get(f"/api/v1/alerts/{held.json()['alert_id']}", headers=viewer).json()
        assert shown["suppressed_by"] == {"kind": "silence", "id": silence["id"]}
        assert _incidents(client, admin, service) == []

        listed = client.get("/api/v1/silences?status=active", headers=viewer).json()["items"]
        assert silence["id"] in {s["id"] for s in listed}
        expired = client.post(f"/api/v1/silences/{silence['id']}/expire", headers=responder)
        assert expired.status_code == 200 and expired.json()["status"] == "expired"

        # Still firing (never resolved): the release worker sends the held alert on at once.
        incident = within(
            RELEASE_BOUND_SECONDS,
            "the incident of the alert the expired silence held",
            lambda: next(iter(_incidents(client, admin, service)), None),
        )
        again = client.post("/api/v1/alerts", json=alert, headers=admin).json()
        assert again["incident_id"] == incident["id"], again  # it keeps arriving: same incident
        assert [i["id"] for i in _incidents(client, admin, service)] == [incident["id"]]
        metrics = httpx.get(running_stack.urls["alert-ingestion"] + "/metrics").text
        assert 'alerts_suppressed_total{reason="silence"}' in metrics


def test_a_missed_heartbeat_opens_an_incident_and_a_ping_resolves_it(
    running_stack: Stack,
) -> None:
    name = f"backup-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=running_stack.urls["api-gateway"], timeout=15) as client:
        admin = _login(client, *ADMIN)
        made = client.post(
            "/api/v1/heartbeats",
            json={"name": name, "team": "platform", "interval_seconds": 10, "grace_seconds": 0},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        heartbeat = made.json()
        ping_path = "/api/v1/heartbeats/ping/" + heartbeat["ping_url"].rsplit("/", 1)[1]

        incident = within(
            MISSED_BOUND_SECONDS,
            "the missed heartbeat's incident",
            lambda: next(iter(_incidents(client, admin, name)), None),
        )
        assert incident["team"] == "platform" and incident["status"] == "open"
        got = client.get(f"/api/v1/heartbeats/{heartbeat['id']}", headers=admin).json()
        assert got["state"] == "down"

        pinged = client.get(ping_path)  # no login: the key in the URL is the credential
        assert pinged.status_code == 200, pinged.text
        assert pinged.json()["resolved"] is True
        resolved = client.get(f"/api/v1/incidents/{incident['id']}", headers=admin).json()
        assert resolved["status"] == "resolved", resolved["status"]
        assert client.post(ping_path).status_code == 200
        assert client.get("/api/v1/heartbeats/ping/nwh_" + "x" * 32).status_code == 404
