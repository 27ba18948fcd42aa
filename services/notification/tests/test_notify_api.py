"""POST /api/v1/notify, listing and reading notifications, idempotency and bad input."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

NOTIFY = "/api/v1/notify"


async def test_notify_is_stored_pending_then_delivered_by_the_worker(
    notify_app: Any, notify_body: Any, drain: Any
) -> None:
    incident = str(uuid.uuid4())
    async with notify_app() as (app, client):
        response = await client.post(NOTIFY, json=notify_body(incident_id=incident))
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["status"] == "pending" and accepted["attempts"] == 0
        assert accepted["channel"] == "mock" and accepted["incident_id"] == incident

        await drain(app)
        read = (await client.get(f"/api/v1/notifications/{accepted['id']}")).json()
        assert read["status"] == "delivered" and read["attempts"] == 1
        assert read["delivered_at"] is not None and read["last_error"] is None
        mock = app.state.channels["mock"]
        assert [n.id for n in mock.delivered if str(n.id) == accepted["id"]] == [
            uuid.UUID(accepted["id"])
        ]


async def test_channel_defaults_to_mock(notify_app: Any) -> None:
    async with notify_app() as (_, client):
        body = {"recipient": "bob", "subject": "s", "message": "m"}
        response = await client.post(NOTIFY, json=body)
        assert response.status_code == 202 and response.json()["channel"] == "mock"


async def test_same_idempotency_key_is_the_same_notification_sent_once(
    notify_app: Any, notify_body: Any, drain: Any, clock: Any
) -> None:
    key = f"page:{uuid.uuid4()}"
    async with notify_app() as (app, client):
        first = await client.post(NOTIFY, json=notify_body(idempotency_key=key))
        await drain(app)
        again = await client.post(NOTIFY, json=notify_body(idempotency_key=key))
        by_header = await client.post(NOTIFY, json=notify_body(), headers={"Idempotency-Key": key})
        assert first.status_code == again.status_code == by_header.status_code == 202
        assert first.json()["id"] == again.json()["id"] == by_header.json()["id"]
        assert "idempotent-replayed" not in first.headers
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["status"] == "delivered"
        clock.advance(3600)
        await drain(app)
        mock = app.state.channels["mock"]
        assert sum(str(n.id) == first.json()["id"] for n in mock.delivered) == 1


async def test_concurrent_requests_with_one_key_make_one_notification(
    notify_app: Any, notify_body: Any
) -> None:
    key = f"race:{uuid.uuid4()}"
    async with notify_app() as (_, client):
        responses = await asyncio.gather(
            *(client.post(NOTIFY, json=notify_body(idempotency_key=key)) for _ in range(8))
        )
        assert {r.status_code for r in responses} == {202}
        assert len({r.json()["id"] for r in responses}) == 1


async def test_header_and_body_keys_must_agree(notify_app: Any, notify_body: Any) -> None:
    async with notify_app() as (_, client):
        response = await client.post(
            NOTIFY, json=notify_body(idempotency_key="a"), headers={"Idempotency-Key": "b"}
        )
        assert response.status_code == 422


async def test_list_filters_newest_first_and_pages(
    notify_app: Any, notify_body: Any, drain: Any, clock: Any
) -> None:
    incident = str(uuid.uuid4())
    async with notify_app() as (app, client):
        ids = []
        for name in ("carol", "dave", "carol"):
            response = await client.post(
                NOTIFY, json=notify_body(recipient=name, incident_id=incident)
            )
            ids.append(response.json()["id"])
            clock.advance(1)
        await drain(app)
        await client.post(NOTIFY, json=notify_body(recipient="carol", incident_id=incident))

        page = (await client.get("/api/v1/notifications", params={"incident_id": incident})).json()
        assert page["total"] == 4 and page["limit"] == 50 and page["offset"] == 0
        created = [item["created_at"] for item in page["items"]]
        assert created == sorted(created, reverse=True)
        assert [item["id"] for item in page["items"][1:]] == ids[::-1]

        params: dict[str, Any] = {
            "incident_id": incident,
            "recipient": "carol",
            "status": "delivered",
        }
        carol = (await client.get("/api/v1/notifications", params=params)).json()
        assert carol["total"] == 2 and {i["id"] for i in carol["items"]} == {ids[0], ids[2]}
        pending = {"incident_id": incident, "status": "pending", "channel": "mock"}
        assert (await client.get("/api/v1/notifications", params=pending)).json()["total"] == 1
        paged = {"incident_id": incident, "limit": 2, "offset": 2}
        second = (await client.get("/api/v1/notifications", params=paged)).json()
        assert [i["id"] for i in second["items"]] == [ids[1], ids[0]]


async def test_unknown_and_unconfigured_channels_are_422_naming_the_available_ones(
    notify_app: Any, notify_body: Any
) -> None:
    async with notify_app(smtp_host="127.0.0.1") as (_, client):
        unknown = await client.post(NOTIFY, json=notify_body(channel="pigeon"))
        assert unknown.status_code == 422
        error = unknown.json()["error"]
        assert error["code"] == "unknown_channel"
        assert error["details"]["available_channels"] == ["email", "mock"]
        assert "email, mock" in error["message"]
        unconfigured = await client.post(NOTIFY, json=notify_body(channel="webhook"))
        assert unconfigured.status_code == 422
        assert "not configured" in unconfigured.json()["error"]["message"]


async def test_bad_input_is_a_clear_4xx(notify_app: Any, notify_body: Any) -> None:
    async with notify_app(smtp_host="127.0.0.1", webhook_secret="s") as (_, client):
        bad_bodies = [
            notify_body(channel="email", recipient="not-an-email"),
            notify_body(channel="email", recipient="a@b@c"),
            notify_body(channel="webhook", recipient="ftp://example.com/x"),
            notify_body(channel="webhook", recipient="http://"),
            notify_body(channel="webhook", recipient="http://host:99999/"),
            notify_body(channel="webhook", recipient="https://user:pw@example.com/"),
            notify_body(recipient="nul\x00byte"),
            notify_body(subject="x\x00"),
            notify_body(message="m" * 10_001),
            notify_body(subject="s" * 501),
            notify_body(recipient="r" * 2049),
            notify_body(recipient="   "),
            notify_body(incident_id="not-a-uuid"),
            notify_body(idempotency_key="k" * 256),
            notify_body(subject=""),
            {"recipient": "alice"},
        ]
        for body in bad_bodies:
            response = await client.post(NOTIFY, json=body)
            assert response.status_code == 422, (body, response.text)
            assert response.json()["error"]["message"]
        malformed = await client.post(
            NOTIFY, content=b"{not json", headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 400

        for params in (
            {"limit": 0},
            {"limit": 10_000},
            {"offset": -1},
            {"offset": 10**30},
            {"incident_id": "nope"},
            {"status": "lost"},
            {"recipient": "x" * 5000},
            {"recipient": "nul\x00"},
            {"channel": "nul\x00"},
            {"channel": "c" * 33},
        ):
            response = await client.get("/api/v1/notifications", params=params)
            assert response.status_code == 422, (params, response.text)
        assert (await client.get("/api/v1/notifications/not-a-uuid")).status_code == 422
        missing = await client.get(f"/api/v1/notifications/{uuid.uuid4()}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_email_recipient_is_normalised(notify_app: Any, notify_body: Any) -> None:
    async with notify_app(smtp_host="127.0.0.1") as (_, client):
        response = await client.post(
            NOTIFY, json=notify_body(channel="email", recipient="alice@EXAMPLE.com")
        )
        assert response.status_code == 202 and response.json()["recipient"] == "alice@example.com"


async def test_secrets_never_appear_in_responses(notify_app: Any, notify_body: Any) -> None:
    secret = "hunter2-webhook-secret"
    async with notify_app(
        webhook_secret=secret, slack_webhook_url="http://127.0.0.1:9/T0/SECRET"
    ) as (
        _,
        client,
    ):
        unknown = await client.post(NOTIFY, json=notify_body(channel="pigeon"))
        openapi = await client.get("/openapi.json")
        for text in (unknown.text, openapi.text):
            assert secret not in text and "SECRET" not in text


async def test_channels_lists_what_is_configured(notify_app: Any) -> None:
    async with notify_app(smtp_host="127.0.0.1") as (_, client):
        body = (await client.get("/api/v1/notifications/channels")).json()
        assert body["default"] == "mock"
        configured = {c["name"]: c["configured"] for c in body["channels"]}
        assert configured == {"mock": True, "webhook": False, "email": True, "slack": False}


async def test_unknown_body_fields_are_refused(notify_app: Any, notify_body: Any) -> None:
    """As strict as the other services: a misspelt field is a 422 naming it, not ignored."""
    async with notify_app() as (_, client):
        answer = await client.post(NOTIFY, json=notify_body(severty="high"))
        assert answer.status_code == 422, answer.text
        assert "severty" in answer.json()["error"]["message"]
        batch = await client.post(
            "/internal/v1/notifications/batch",
            json={"notifications": [notify_body(idempotency_key="k-extra", priority=1)]},
        )
        assert batch.status_code == 200, batch.text
        assert batch.json()["results"][0]["error"] is not None
        typo = await client.post(
            "/internal/v1/notifications/batch",
            json={"notifications": [notify_body(idempotency_key="k-ok")], "dry_run": True},
        )
        assert typo.status_code == 422 and "dry_run" in typo.json()["error"]["message"]


async def test_the_notification_rule_that_sent_a_page_is_stored_and_listed(
    notify_app: Any, notify_body: Any
) -> None:
    """On-call names the person's notification rule on the request (issue #16)."""
    rule_id = str(uuid.uuid4())
    incident = str(uuid.uuid4())
    rule = "high urgency: after 2 min via sms +15550100"
    async with notify_app() as (_, client):
        body = notify_body(incident_id=incident, notification_rule_id=rule_id)
        response = await client.post(NOTIFY, json=body | {"notification_rule": rule})
        assert response.status_code == 202, response.text
        listed = (
            await client.get("/api/v1/notifications", params={"incident_id": incident})
        ).json()
        [item] = listed["items"]
        assert (item["notification_rule_id"], item["notification_rule"]) == (rule_id, rule)
        too_long = await client.post(NOTIFY, json=notify_body(notification_rule="x" * 301))
        assert too_long.status_code == 422 and "notification_rule" in too_long.text
