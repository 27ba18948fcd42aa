"""Issue #12, finding 1, on the real `make up` stack: the service ports take no forged actor and
no internal call without the stack's service credential; the loopback convenience is anonymous."""

from __future__ import annotations

import uuid

import httpx

from tests.stack_runner import Stack


def _incident(client: httpx.Client) -> str:
    created = client.post(
        "/api/v1/incidents",
        json={"title": f"trust {uuid.uuid4().hex[:8]}", "service": "trust-e2e", "severity": "low"},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_service_ports_refuse_forged_actors_and_anonymous_internal_calls(
    running_stack: Stack,
) -> None:
    urls = running_stack.urls
    credential = running_stack.service_headers()
    with httpx.Client(base_url=urls["incident-management"], timeout=15) as incidents:
        incident_id = _incident(incidents)  # loopback, no credential: the development convenience
        forged = incidents.patch(
            f"/api/v1/incidents/{incident_id}",
            json={"status": "acknowledged"},
            headers={"X-Actor": "the-ceo"},
        )
        assert forged.status_code == 401, forged.text
        assert forged.json()["error"]["code"] == "service_credential_required"
        forged_timeline = incidents.post(
            f"/internal/v1/incidents/{incident_id}/timeline",
            json={"event_type": "note", "message": "forged"},
        )
        assert forged_timeline.status_code == 401

        anonymous = incidents.patch(
            f"/api/v1/incidents/{incident_id}", json={"status": "acknowledged"}
        )
        assert anonymous.status_code == 200, anonymous.text
        assert anonymous.json()["acknowledged_by"] == "anonymous@loopback"

        named = incidents.patch(
            f"/api/v1/incidents/{incident_id}",
            json={"status": "resolved"},
            headers={"X-Actor": "dana", **credential},
        )
        assert named.status_code == 200, named.text
        assert named.json()["resolved_by"] == "dana"

    with httpx.Client(base_url=urls["oncall-escalation"], timeout=15) as oncall:
        stop = oncall.post(
            f"/internal/v1/escalations/{uuid.uuid4()}/stop", json={"reason": "resolved"}
        )
        assert stop.status_code == 401
        wrong = oncall.get("/api/v1/users", headers={"X-Service-Token": "not-the-stack-s" * 3})
        assert wrong.status_code == 401
    with httpx.Client(base_url=urls["notification"], timeout=15) as notification:
        assert notification.post("/internal/v1/notifications/batch", json={}).status_code == 401
    for url in urls.values():
        assert httpx.get(f"{url}/health/ready", timeout=15).status_code == 200
