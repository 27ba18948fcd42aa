"""Notification on the real stack (`make up` processes): accepted through the gateway, delivered by
the service's own background worker, counted in its metrics."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.stack_runner import ADMIN, Stack


def test_notify_through_the_gateway_is_delivered_by_the_worker(running_stack: Stack) -> None:
    with httpx.Client(base_url=running_stack.urls["api-gateway"], timeout=15) as client:
        login = client.post("/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        incident_id = str(uuid.uuid4())
        body = {
            "recipient": "e2e-oncall",
            "channel": "mock",
            "subject": "e2e page",
            "message": "delivered by the outbox worker",
            "incident_id": incident_id,
        }
        key = {"Idempotency-Key": f"e2e:{incident_id}"}
        accepted = client.post("/api/v1/notify", json=body, headers={**admin, **key})
        assert accepted.status_code == 202, accepted.text
        replay = client.post("/api/v1/notify", json=body, headers={**admin, **key})
        assert replay.status_code == 202 and replay.json()["id"] == accepted.json()["id"]

        notification_id = accepted.json()["id"]
        status = accepted.json()["status"]
        for _ in range(300):  # bounded: the commit wakes the worker, no poll wait needed
            status = client.get(f"/api/v1/notifications/{notification_id}", headers=admin).json()[
                "status"
            ]
            if status != "pending":
                break
            time.sleep(0.1)
        assert status == "delivered"
        listed = client.get(
            "/api/v1/notifications", params={"incident_id": incident_id}, headers=admin
        ).json()
        assert listed["total"] == 1

        unconfigured = client.post(
            "/api/v1/notify", json=body | {"channel": "webhook"}, headers=admin
        )
        assert unconfigured.status_code == 422
        assert unconfigured.json()["error"]["code"] == "unknown_channel"

    metrics = httpx.get(running_stack.urls["notification"] + "/metrics", timeout=5).text
    assert 'notifications_sent_total{channel="mock",status="delivered"}' in metrics
