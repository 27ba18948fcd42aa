"""Issue #12, finding 1, on the real `make up` stack: the service ports take no forged actor and
no internal call without the stack's service credential; the loopback convenience is anonymous."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.stack_runner import ADMIN, Stack, make_stack, up_on_free_ports


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


# The probe, on a stack run as compose runs it (no anonymous convenience): every write it
# names, with and without a claimed actor, on every service port.
ANONYMOUS_PROBES = [
    ("alert-ingestion", "POST", "/api/v1/alerts", {"service": "x", "severity": "low", "message": "m"}),
    ("incident-management", "POST", "/api/v1/incidents", {"title": "t", "service": "s", "severity": "low"}),
    ("incident-management", "PATCH", f"/api/v1/incidents/{uuid.uuid4()}", {"status": "resolved"}),
    ("incident-management", "POST", f"/internal/v1/incidents/{uuid.uuid4()}/timeline", {}),
    ("incident-management", "POST", "/internal/v1/alert-batches", {"batch_id": str(uuid.uuid4()), "alerts": []}),
    ("oncall-escalation", "POST", "/api/v1/users", {"name": "Eve", "email": "eve@example.com"}),
    ("oncall-escalation", "GET", "/api/v1/users", None),
    ("oncall-escalation", "DELETE", f"/api/v1/users/{uuid.uuid4()}", None),
    ("oncall-escalation", "POST", "/api/v1/escalate", {"incident_id": str(uuid.uuid4())}),
    ("oncall-escalation", "POST", f"/internal/v1/escalations/{uuid.uuid4()}/stop", {"reason": "resolved"}),
    ("oncall-escalation", "POST", "/internal/v1/escalations", {"incident_id": str(uuid.uuid4()), "team": "t"}),
    ("notification", "POST", "/api/v1/notify", {"channel": "mock", "recipient": "x", "message": "m"}),
    ("notification", "POST", "/internal/v1/notifications/batch", {"notifications": []}),
]  # fmt: skip


def test_a_stack_reachable_from_elsewhere_serves_nothing_anonymously(
    stack_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stack = up_on_free_ports(
        lambda: make_stack(
            tmp_path_factory.mktemp("closed-stack"),
            database_url=stack_database_url,
            ANONYMOUS_LOOPBACK="false",
        )
    )
    try:
        answered = {}
        for service, method, path, body in ANONYMOUS_PROBES:
            for headers in ({}, {"X-Actor": "admin"}):
                response = httpx.request(
                    method, stack.urls[service] + path, json=body, headers=headers, timeout=15
                )
                answered[(service, method, path, bool(headers))] = response.status_code
        assert set(answered.values()) == {401}, answered
        # Probes and scrapes stay open; the gateway still works, forwarding with the credential.
        for url in stack.urls.values():
            assert httpx.get(f"{url}/health/ready", timeout=15).status_code == 200
            assert httpx.get(f"{url}/metrics", timeout=15).status_code == 200
        with httpx.Client(base_url=stack.urls["api-gateway"], timeout=15) as gateway:
            login = gateway.post(
                "/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
            )
            token = {"Authorization": f"Bearer {login.json()['access_token']}"}
            assert gateway.get("/api/v1/users", headers=token).status_code == 200
    finally:
        stack.down()
