"""Personal notification rules on the real stack, through the gateway (issue #16): an alert's
incident pages the on-call person by their rule (the notification names the rule), an acknowledge
cancels the step not yet due, and a test notification reaches one contact method."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.stack_runner import ADMIN, Stack, always_on_call_schedule
from tests.test_incident_flow_e2e import _ok, eventually


@contextmanager
def _admin_client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.urls["api-gateway"], timeout=15) as client:
        credentials = {"username": ADMIN[0], "password": ADMIN[1]}
        login = _ok(client.post("/api/v1/auth/login", json=credentials))
        client.headers["Authorization"] = f"Bearer {login['access_token']}"
        yield client


def _on_call_person(api: httpx.Client, suffix: str) -> tuple[str, dict[str, Any]]:
    user = _ok(
        api.post(
            "/api/v1/users",
            json={
                "name": f"Rules {suffix}",
                "email": f"rules-{suffix}@example.com",
                "contact_methods": [
                    {"type": "sms", "address": "+15550142"},
                    {"type": "slack", "address": f"@rules-{suffix}"},
                ],
            },
        ),
        201,
    )
    team = f"e2e-rules-{suffix}"
    _ok(api.post("/api/v1/teams", json={"name": team, "members": [{"user_id": user["id"]}]}), 201)
    schedule = always_on_call_schedule(name=f"rules-{suffix}", team=team, user_id=user["id"])
    _ok(api.post("/api/v1/schedules", json=schedule), 201)
    return team, user


def test_an_incident_pages_by_the_persons_rules_and_an_ack_cancels_the_rest(
    running_stack: Stack,
) -> None:
    suffix = uuid.uuid4().hex[:8]
    with _admin_client(running_stack) as api:
        team, user = _on_call_person(api, suffix)
        sms, slack = (m["id"] for m in user["contact_methods"])
        rules = {
            "rules": [
                {"urgency": "high", "delay_minutes": 0, "contact_method_id": sms},
                {"urgency": "high", "delay_minutes": 30, "contact_method_id": slack},
            ]
        }
        _ok(api.put(f"/api/v1/users/{user['id']}/notification-rules", json=rules))
        alert = {
            "service": f"rules-{suffix}",
            "severity": "critical",
            "message": "queue depth > 10k",
            "labels": {"team": team},
        }
        accepted = _ok(api.post("/api/v1/alerts", json=alert), 201, 202)
        incident_id = accepted["incident_id"] or eventually(
            lambda: _ok(api.get(f"/api/v1/alerts/{accepted['alert_id']}"))["incident_id"],
            "the alert linked to an incident",
        )

        def sms_page() -> dict[str, Any] | None:
            listed = _ok(api.get("/api/v1/notifications", params={"incident_id": incident_id}))
            return next((n for n in listed["items"] if n["recipient"] == "+15550142"), None)

        page = eventually(sms_page, "the rule's immediate SMS page reached notification")
        assert page["notification_rule"] == "high urgency: immediately via sms +15550142"
        escalation = _ok(api.get(f"/api/v1/escalations/{incident_id}"))
        later = [p for p in escalation["pages"] if p["recipient"] == f"@rules-{suffix}"]
        assert [p["status"] for p in later] == ["queued"]  # due in 30 minutes

        _ok(api.patch(f"/api/v1/incidents/{incident_id}", json={"status": "acknowledged"}))

        def cancelled() -> bool:
            pages = _ok(api.get(f"/api/v1/escalations/{incident_id}"))["pages"]
            return any(
                p["recipient"] == f"@rules-{suffix}" and p["status"] == "cancelled" for p in pages
            )

        eventually(cancelled, "the acknowledge cancelled the step not yet due")


def test_a_test_notification_to_one_contact_method(running_stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:8]
    with _admin_client(running_stack) as api:
        _, user = _on_call_person(api, suffix)
        sms = user["contact_methods"][0]["id"]
        queued = _ok(api.post(f"/api/v1/users/{user['id']}/contact-methods/{sms}/test"), 202)
        assert queued["channel"] == "mock" and queued["recipient"] == "+15550142"

        def delivered() -> dict[str, Any] | None:
            listed = _ok(api.get("/api/v1/notifications", params={"recipient": "+15550142"}))
            return next(
                (
                    n
                    for n in listed["items"]
                    if n["idempotency_key"] == queued["idempotency_key"]
                    and n["status"] == "delivered"
                ),
                None,
            )

        notification = eventually(delivered, "the test notification was delivered")
        assert notification["subject"] == f"[Nightwatch] Test notification for Rules {suffix}"
        unknown = api.post(f"/api/v1/users/{user['id']}/contact-methods/{uuid.uuid4()}/test")
        assert unknown.status_code == 404
