"""The outbox against real local receivers: retries, backoff, restarts, two workers, each channel."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from typing import Any

from nightwatch_notify.channels.base import not_accepted
from prometheus_client import REGISTRY

NOTIFY = "/api/v1/notify"
WEBHOOK_SECRET = "test-webhook-secret"


def _sent(channel: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "notifications_sent_total", {"channel": channel, "status": status}
    )
    return value or 0.0


# Refused, timed out or any HTTP status: one message (the reason is in the service log).
NOT_ACCEPTED = not_accepted("webhook")


async def _read(client: Any, notification_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/notifications/{notification_id}")
    assert response.status_code == 200
    return dict(response.json())


async def test_webhook_failing_twice_is_delivered_once_after_backoff(
    notify_app: Any, notify_body: Any, receiver_factory: Any, clock: Any
) -> None:
    receiver = receiver_factory(statuses=[500, 503])
    before = (_sent("webhook", "retry"), _sent("webhook", "delivered"))
    async with notify_app(webhook_secret=WEBHOOK_SECRET) as (app, client):
        incident = str(uuid.uuid4())
        body = notify_body(channel="webhook", recipient=receiver.url, incident_id=incident)
        created = (await client.post(NOTIFY, json=body)).json()
        worker = app.state.delivery

        await worker.run_due(app)
        first = await _read(client, created["id"])
        assert first["status"] == "pending" and first["attempts"] == 1
        assert first["last_error"] == NOT_ACCEPTED
        await worker.run_due(app)  # not due yet: no second request
        assert len(receiver.requests) == 1

        clock.advance(10)  # base backoff
        await worker.run_due(app)
        second = await _read(client, created["id"])
        assert second["attempts"] == 2 and second["last_error"] == NOT_ACCEPTED
        clock.advance(19)  # backoff doubled to 20 s: one second short
        await worker.run_due(app)
        assert len(receiver.requests) == 2
        clock.advance(1)
        await worker.run_due(app)

        done = await _read(client, created["id"])
        assert done["status"] == "delivered" and done["attempts"] == 3
        assert len(receiver.successes) == 1 and len(receiver.requests) == 3
        clock.advance(3600)
        await worker.run_due(app)
        assert len(receiver.requests) == 3

    delivered = receiver.successes[0]
    expected = (
        "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), delivered.body, hashlib.sha256).hexdigest()
    )
    assert delivered.headers["x-nightwatch-signature"] == expected
    assert delivered.headers["x-nightwatch-notification-id"] == created["id"]
    payload = json.loads(delivered.body)
    assert payload["id"] == created["id"] and payload["incident_id"] == incident
    assert payload["subject"] == "DB down" and payload["attempt"] == 3
    assert _sent("webhook", "retry") - before[0] == 2
    assert _sent("webhook", "delivered") - before[1] == 1


async def test_attempts_are_capped_then_failed_with_the_last_error(
    notify_app: Any, notify_body: Any, receiver_factory: Any, clock: Any
) -> None:
    receiver = receiver_factory(statuses=[500] * 10)
    async with notify_app(webhook_secret=WEBHOOK_SECRET, notify_max_attempts=3) as (app, client):
        body = notify_body(channel="webhook", recipient=receiver.url)
        created = (await client.post(NOTIFY, json=body)).json()
        for _ in range(6):
            await app.state.delivery.run_due(app)
            clock.advance(600)
        failed = await _read(client, created["id"])
        assert failed["status"] == "failed" and failed["attempts"] == 3
        assert failed["last_error"] == NOT_ACCEPTED
        assert failed["next_attempt_at"] is None
        assert len(receiver.requests) == 3


async def test_a_permanent_rejection_is_not_retried(
    notify_app: Any, notify_body: Any, receiver_factory: Any, clock: Any
) -> None:
    receiver = receiver_factory(statuses=[410])
    async with notify_app(webhook_secret=WEBHOOK_SECRET) as (app, client):
        body = notify_body(channel="webhook", recipient=receiver.url)
        created = (await client.post(NOTIFY, json=body)).json()
        await app.state.delivery.run_due(app)
        clock.advance(3600)
        await app.state.delivery.run_due(app)
        failed = await _read(client, created["id"])
        assert failed["status"] == "failed" and failed["attempts"] == 1
        assert failed["last_error"] == NOT_ACCEPTED and len(receiver.requests) == 1


async def test_a_restart_mid_retry_resumes(
    notify_app: Any, notify_body: Any, receiver_factory: Any, clock: Any
) -> None:
    receiver = receiver_factory(statuses=[502])
    async with notify_app(webhook_secret=WEBHOOK_SECRET) as (app, client):
        body = notify_body(channel="webhook", recipient=receiver.url)
        created = (await client.post(NOTIFY, json=body)).json()
        await app.state.delivery.run_due(app)
        assert (await _read(client, created["id"]))["attempts"] == 1
    # The first process is gone; a new one on the same database picks the retry up.
    clock.advance(10)
    async with notify_app(webhook_secret=WEBHOOK_SECRET) as (app, client):
        await app.state.delivery.run_due(app)
        done = await _read(client, created["id"])
        assert done["status"] == "delivered" and done["attempts"] == 2
    assert len(receiver.successes) == 1


async def test_two_workers_never_deliver_one_notification_twice(
    notify_app: Any, notify_body: Any, receiver_factory: Any
) -> None:
    receiver = receiver_factory(delay_seconds=0.05)
    settings = {"webhook_secret": WEBHOOK_SECRET, "notify_concurrency": 4}
    async with notify_app(**settings) as (app_a, client), notify_app(**settings) as (app_b, _):
        ids = set()
        for n in range(12):
            body = notify_body(channel="webhook", recipient=f"{receiver.url}?n={n}")
            ids.add((await client.post(NOTIFY, json=body)).json()["id"])
        for _ in range(50):
            claimed = await asyncio.gather(
                app_a.state.delivery.run_due(app_a), app_b.state.delivery.run_due(app_b)
            )
            if claimed == [0, 0]:
                break
        delivered = [r.headers["x-nightwatch-notification-id"] for r in receiver.requests]
        assert sorted(delivered) == sorted(ids)  # every one exactly once
        for notification_id in ids:
            assert (await _read(client, notification_id))["status"] == "delivered"


async def test_a_hanging_receiver_does_not_hold_up_other_notifications(
    notify_app: Any, notify_body: Any, receiver_factory: Any
) -> None:
    hanging = receiver_factory()
    hanging.released.clear()
    settings = {"webhook_secret": WEBHOOK_SECRET, "webhook_timeout_seconds": 60}
    async with notify_app(**settings) as (app, client):
        stuck = await client.post(
            NOTIFY, json=notify_body(channel="webhook", recipient=hanging.url)
        )
        incident = str(uuid.uuid4())
        for _ in range(5):
            await client.post(NOTIFY, json=notify_body(incident_id=incident))
        delivering = asyncio.create_task(app.state.delivery.run_due(app))
        params = {"incident_id": incident, "status": "delivered"}
        delivered = 0
        for _ in range(300):  # bounded; the hanging request is still open meanwhile
            delivered = (await client.get("/api/v1/notifications", params=params)).json()["total"]
            if delivered == 5:
                break
            await asyncio.sleep(0.02)
        in_flight = (await _read(client, stuck.json()["id"]))["status"]
        hanging.released.set()
        await delivering
        assert delivered == 5 and in_flight == "pending"
        assert (await _read(client, stuck.json()["id"]))["status"] == "delivered"


async def test_slack_payload_reaches_the_incoming_webhook(
    notify_app: Any, notify_body: Any, receiver_factory: Any
) -> None:
    receiver = receiver_factory()
    incident = str(uuid.uuid4())
    async with notify_app(slack_webhook_url=receiver.url) as (app, client):
        body = notify_body(
            channel="slack",
            recipient="@alice",
            message="CPU <b>95%</b> & rising",
            incident_id=incident,
        )
        created = (await client.post(NOTIFY, json=body)).json()
        await app.state.delivery.run_due(app)
        assert (await _read(client, created["id"]))["status"] == "delivered"
        assert receiver.url not in (await client.get(f"/api/v1/notifications/{created['id']}")).text
    [request] = receiver.requests
    assert request.headers["content-type"] == "application/json"
    payload = json.loads(request.body)
    assert payload["text"] == "DB down: CPU <b>95%</b> & rising"
    header, section, context = payload["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "DB down"}}
    assert section["text"] == {"type": "mrkdwn", "text": "CPU &lt;b&gt;95%&lt;/b&gt; &amp; rising"}
    assert context["type"] == "context"
    assert context["elements"][0]["text"] == f"For @alice · incident `{incident}`"


async def test_email_is_read_back_from_a_local_smtp_server(
    notify_app: Any, notify_body: Any, smtp_server: Any
) -> None:
    port, mailbox = smtp_server
    incident = str(uuid.uuid4())
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "pager@nightwatch.test"}
    async with notify_app(**settings) as (app, client):
        body = notify_body(
            channel="email",
            recipient="oncall@example.com",
            subject="[critical] DB down\r\nBcc: evil@example.com",
            message="Primary is unreachable.\nRunbook: https://runbooks/db",
            incident_id=incident,
        )
        created = (await client.post(NOTIFY, json=body)).json()
        await app.state.delivery.run_due(app)
        assert (await _read(client, created["id"]))["status"] == "delivered"
    [(sender, recipients, message)] = mailbox.messages
    assert sender == "pager@nightwatch.test" and recipients == ["oncall@example.com"]
    assert message["Subject"] == "[critical] DB down Bcc: evil@example.com"
    assert message["Bcc"] is None
    assert message["X-Nightwatch-Notification-Id"] == created["id"]
    assert message["X-Nightwatch-Incident-Id"] == incident
    content = message.get_content().replace("\r\n", "\n").strip()
    assert content == "Primary is unreachable.\nRunbook: https://runbooks/db"


async def test_an_unreachable_smtp_server_is_retried(
    notify_app: Any, notify_body: Any, free_port: Any
) -> None:
    async with notify_app(smtp_host="127.0.0.1", smtp_port=free_port()) as (app, client):
        body = notify_body(channel="email", recipient="oncall@example.com")
        created = (await client.post(NOTIFY, json=body)).json()
        await app.state.delivery.run_due(app)
        pending = await _read(client, created["id"])
        assert pending["status"] == "pending" and pending["attempts"] == 1
        assert pending["last_error"].startswith("SMTP delivery failed")


async def test_the_background_worker_delivers_without_being_driven(
    make_settings: Any, app_client: Any, notify_body: Any
) -> None:
    from nightwatch_notify.main import create_app
    from nightwatch_notify.settings import NotifySettings

    settings = make_settings(NotifySettings, notify_poll_interval_seconds=5.0, notify_concurrency=8)
    app = create_app(settings)
    async with app_client(app) as client:
        created = (await client.post(NOTIFY, json=notify_body())).json()
        for _ in range(200):  # woken at once by the commit, not by the 5 s poll
            if (await _read(client, created["id"]))["status"] == "delivered":
                break
            await asyncio.sleep(0.01)
        assert (await _read(client, created["id"]))["status"] == "delivered"
        # One page needs one slot: the idle slots stay asleep and open no connection. Expected:
        # the requests' (up to two overlap), the delivering slot's, the one slot it recruited —
        # well under the nine that waking all eight slots opens.
        pool = app.state.engine.pool
        assert pool.checkedin() + pool.checkedout() <= 5
        # Delivery's own pool: the delivering slot's connection and the recruited slot's.
        assert app.state.db_pool.get_size() <= 2
