"""Channel details: Slack recipient webhooks, timeouts, redaction, secrets kept out of logs."""

from __future__ import annotations

import json
from typing import Any

from nightwatch_notify.channels.base import not_accepted

NOTIFY = "/api/v1/notify"


async def test_a_slack_recipient_webhook_is_posted_to_directly_and_redacted(
    notify_app: Any, notify_body: Any, receiver_factory: Any
) -> None:
    workspace, own_hook = receiver_factory(), receiver_factory()
    prefix = own_hook.url.rsplit("/", 1)[0] + "/"
    hook_url = own_hook.url + "/T000/B000/XYZSECRETTOKEN"
    settings = {"slack_webhook_url": workspace.url, "slack_recipient_webhook_prefixes": [prefix]}
    async with notify_app(**settings) as (app, client):
        created = await client.post(NOTIFY, json=notify_body(channel="slack", recipient=hook_url))
        assert created.status_code == 202
        assert "XYZSECRETTOKEN" not in created.text
        assert created.json()["recipient"] == prefix + "hook/…"
        elsewhere = notify_body(channel="slack", recipient="https://evil.example.com/hook")
        refused = await client.post(NOTIFY, json=elsewhere)
        assert refused.status_code == 422 and prefix in refused.json()["error"]["message"]

        await app.state.delivery.run_due(app)
        listed = await client.get("/api/v1/notifications", params={"recipient": hook_url})
        assert listed.json()["total"] == 1 and "XYZSECRETTOKEN" not in listed.text
        assert listed.json()["items"][0]["status"] == "delivered"
    assert workspace.requests == []
    [request] = own_hook.requests
    assert request.path == "/hook/T000/B000/XYZSECRETTOKEN"
    assert "XYZSECRETTOKEN" not in request.body.decode()
    assert json.loads(request.body)["text"] == "DB down: p99 > 2s"


async def test_a_slow_webhook_receiver_times_out_and_is_retried(
    notify_app: Any, notify_body: Any, receiver_factory: Any
) -> None:
    receiver = receiver_factory(delay_seconds=1.0)
    settings = {"webhook_secret": "s", "webhook_timeout_seconds": 0.2}
    async with notify_app(**settings) as (app, client):
        body = notify_body(channel="webhook", recipient=receiver.url)
        created = (await client.post(NOTIFY, json=body)).json()
        await app.state.delivery.run_due(app)
        read = (await client.get(f"/api/v1/notifications/{created['id']}")).json()
        assert read["status"] == "pending" and read["attempts"] == 1
        assert read["last_error"] == not_accepted("webhook")


async def test_secrets_stay_out_of_logs_errors_and_metrics(
    notify_app: Any, notify_body: Any, receiver_factory: Any, capsys: Any, caplog: Any
) -> None:
    failing = receiver_factory(statuses=[500, 500])
    webhook_secret, slack_token = "wh-secret-0123456789", "SLACKTOKEN0123456789"
    settings = {
        "webhook_secret": webhook_secret,
        "slack_webhook_url": f"{failing.url}/{slack_token}",
        "smtp_host": "127.0.0.1",
        "smtp_password": "smtp-password-0123456789",
    }
    async with notify_app(**settings) as (app, client):
        ids = []
        for channel, recipient in (
            ("slack", "#ops"),
            ("webhook", failing.url + "?token=QUERYTOKEN"),
        ):
            response = await client.post(
                NOTIFY, json=notify_body(channel=channel, recipient=recipient)
            )
            ids.append(response.json()["id"])
            assert "QUERYTOKEN" not in response.text
        await app.state.delivery.run_due(app)
        reads = [(await client.get(f"/api/v1/notifications/{i}")).text for i in ids]
        metrics = (await client.get("/metrics")).text
        settings_repr = repr(app.state.settings)
    assert any(not_accepted("webhook") in read for read in reads)
    assert 'notifications_sent_total{channel="slack",status="retry"}' in metrics
    logs = capsys.readouterr().out + caplog.text
    assert "notification attempt failed" in logs
    assert "answered HTTP 500" in logs  # the reason: for the operator, not for API readers
    for secret in (webhook_secret, slack_token, "smtp-password-0123456789", "QUERYTOKEN"):
        for text in (logs, metrics, settings_repr, *reads):
            assert secret not in text
