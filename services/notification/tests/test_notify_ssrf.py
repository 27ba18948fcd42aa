"""The webhook channel is no way into the machine's own network (issue #12, finding 7): loopback,
private, link-local and metadata addresses are refused when the URL is given — in every spelling —
and again after DNS resolution when delivering, unless WEBHOOK_ALLOWED_NETWORKS names them."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
from nightwatch_core.networks import parse_networks
from nightwatch_notify.channels.address_guard import GuardedBackend

NOTIFY = "/api/v1/notify"
FORBIDDEN_URLS = [
    "http://127.0.0.1:8002/internal/v1/incidents",
    "http://[::1]:8080/",
    "http://169.254.169.254/latest/meta-data/",
    "http://0x7f000001:5432/",
    "http://2130706433/",
    "http://127.1/",
    "http://0177.0.0.1/",
    "http://localhost:5432/",
    "http://10.0.0.7/hook",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0:8001/",
    "http://100.64.0.1/",
]


@pytest.mark.parametrize("url", FORBIDDEN_URLS)
async def test_internal_addresses_are_refused_when_the_notification_is_accepted(
    notify_app: Any, notify_body: Any, url: str
) -> None:
    async with notify_app(webhook_secret="s", webhook_allowed_networks="") as (_, client):
        answer = await client.post(NOTIFY, json=notify_body(channel="webhook", recipient=url))
        assert answer.status_code == 422, answer.text
        assert "WEBHOOK_ALLOWED_NETWORKS" in answer.json()["error"]["message"]


async def test_a_name_that_resolves_to_loopback_is_refused_at_delivery(
    notify_app: Any, notify_body: Any, receiver_factory: Any
) -> None:
    """`localtest.me`-style names pass the literal check; the delivery resolves and refuses them.
    (`ip6-localhost`/the machine's own hostname resolve locally, without network DNS.)"""
    receiver = receiver_factory()
    port = receiver.url.rsplit(":", 1)[1].split("/")[0]
    async with notify_app(webhook_secret="s", webhook_allowed_networks="") as (app, client):
        recipient = f"http://{_local_name()}:{port}/hook"
        created = await client.post(
            NOTIFY, json=notify_body(channel="webhook", recipient=recipient)
        )
        assert created.status_code == 202, created.text
        await app.state.delivery.run_due(app)
        read = (await client.get(f"/api/v1/notifications/{created.json()['id']}")).json()
        assert read["status"] == "failed" and read["attempts"] == 1
        assert "not allowed" in read["last_error"]
        assert receiver.requests == []


async def test_an_allowed_network_is_delivered_to(
    notify_app: Any, notify_body: Any, receiver_factory: Any
) -> None:
    receiver = receiver_factory()
    async with notify_app(webhook_secret="s", webhook_allowed_networks="127.0.0.0/8") as (
        app,
        client,
    ):
        body = notify_body(channel="webhook", recipient=receiver.url)
        created = await client.post(NOTIFY, json=body)
        assert created.status_code == 202, created.text
        await app.state.delivery.run_due(app)
        read = (await client.get(f"/api/v1/notifications/{created.json()['id']}")).json()
        assert read["status"] == "delivered"
        assert len(receiver.successes) == 1


async def test_the_backend_checks_every_resolved_address() -> None:
    backend = GuardedBackend(parse_networks("", setting="x"))
    with pytest.raises(Exception, match="localhost"):
        await backend.connect_tcp("localhost", 9, timeout=2)


def _local_name() -> str:
    """A DNS name (not an address literal, not 'localhost') that resolves to loopback here."""
    for name in ("ip6-localhost", "ip6-loopback", socket.gethostname()):
        try:
            infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
        except OSError:
            continue
        if infos and all(not ipaddress.ip_address(i[4][0].split("%")[0]).is_global for i in infos):
            return name
    pytest.fail("no local name resolves to a loopback or private address on this machine")
