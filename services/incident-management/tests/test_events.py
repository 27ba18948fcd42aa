"""Push updates (issue #15): a committed write is signalled after its commit (a burst folded into
few signals, a refused write none), the process's one LISTEN connection fans the signal out to
every stream, and the stream speaks server-sent events. (Over real HTTP, through nginx and the
gateway: tests/web_ui/test_live_console.py.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from nightwatch_core.change_signal import CHANNEL
from nightwatch_core.migrations import libpq_dsn
from nightwatch_incidents.events.hub import ChangeHub, StreamsFull
from nightwatch_incidents.events.router import _stream

pytestmark = pytest.mark.usefixtures("client")


async def _listening(app: Any) -> ChangeHub:
    hub: ChangeHub = app.state.change_hub
    await asyncio.wait_for(hub.connected.wait(), 10)
    return hub


class Received(list[str]):
    """The payloads received, with an event set on each arrival."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    def add(self, payload: str) -> None:
        self.append(payload)
        self.arrived.set()


@pytest.fixture
async def raw_listener(settings: Any) -> AsyncIterator[tuple[asyncpg.Connection, Received]]:
    """A LISTEN of the test's own, to count what the database sends."""
    conn = await asyncpg.connect(libpq_dsn(settings.database_url))
    received = Received()
    await conn.add_listener(CHANNEL, lambda *args: received.add(args[3]))
    try:
        yield conn, received
    finally:
        await conn.close()


async def _drain_until_marker(conn: asyncpg.Connection, received: Received) -> list[str]:
    """Everything signalled before now: notifications arrive in commit order, so once our own
    marker is here, every earlier one is too (no sleeping, no timing)."""
    marker = f"marker-{uuid.uuid4().hex}"
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, marker)
    async with asyncio.timeout(10):
        while marker not in received:
            received.arrived.clear()
            await received.arrived.wait()
    seen = received[: received.index(marker)]
    received.clear()
    return seen


async def test_a_write_wakes_every_subscriber_with_its_kind(app: Any, helpers: Any) -> None:
    hub = await _listening(app)
    first, second = hub.subscribe(), hub.subscribe()
    try:
        metrics = (await helpers.client.get("/metrics")).text
        assert "incident_event_streams 2.0" in metrics
        assert "incident_events_listening 1.0" in metrics
        await helpers.create()
        for subscriber in (first, second):
            await asyncio.wait_for(subscriber.wake.wait(), 10)
            assert subscriber.take() == ["incidents"]
    finally:
        hub.unsubscribe(first)
        hub.unsubscribe(second)


async def test_a_batch_of_alerts_is_one_signal(
    helpers: Any, service_name: str, raw_listener: tuple[asyncpg.Connection, Received]
) -> None:
    conn, received = raw_listener
    await helpers.app.state.change_signal.flushed()
    await _drain_until_marker(conn, received)
    alerts = [
        {
            "alert_id": str(uuid.uuid4()),
            "service": f"{service_name}-{n % 5}",
            "severity": "high",
            "fingerprint": uuid.uuid4().hex * 2,
            "message": "disk full",
            "labels": {},
            "team": "web",
            "received_at": "2026-03-01T12:00:00+00:00",
        }
        for n in range(100)
    ]
    response = await helpers.client.post(
        "/internal/v1/alert-batches", json={"batch_id": str(uuid.uuid4()), "alerts": alerts}
    )
    assert response.status_code == 200, response.text
    await helpers.app.state.change_signal.flushed()
    assert await _drain_until_marker(conn, received) == ["incidents"]


async def test_a_refused_write_signals_nothing(
    helpers: Any, raw_listener: tuple[asyncpg.Connection, Received]
) -> None:
    conn, received = raw_listener
    incident = await helpers.create()
    await helpers.app.state.change_signal.flushed()
    await _drain_until_marker(conn, received)
    refused = await helpers.patch(incident["id"], {"status": "in_progress"})  # 409
    invalid = await helpers.patch(incident["id"], {"status": "bogus"})  # 422
    assert (refused.status_code, invalid.status_code) == (409, 422)
    await helpers.app.state.change_signal.flushed()
    assert await _drain_until_marker(conn, received) == []


async def test_a_burst_of_signals_is_folded(
    app: Any, raw_listener: tuple[asyncpg.Connection, Received]
) -> None:
    conn, received = raw_listener
    changes = app.state.change_signal
    await changes.flushed()
    await _drain_until_marker(conn, received)
    for _ in range(50):
        changes.signal()
    await changes.flushed()
    # All fifty came before the send started: that one notification covers them all.
    assert await _drain_until_marker(conn, received) == ["incidents"]


async def test_the_stream_opens_with_ready_sends_changes_and_heartbeats(app: Any) -> None:
    hub = await _listening(app)
    subscriber = hub.subscribe()
    stream = _stream(subscriber, hub, heartbeat=0.01, retry_ms=3000)
    opening = await anext(stream)
    assert opening.startswith(b"retry: 3000\nevent: ready\ndata: ")
    assert await anext(stream) == b": keep-alive\n\n"  # nothing changed within the heartbeat
    hub.publish("incidents")
    hub.publish("alerts")
    hub.publish("incidents")  # coalesced: one event per kind
    assert await anext(stream) == (
        b'event: alerts\ndata: {"kind": "alerts"}\n\n'
        b'event: incidents\ndata: {"kind": "incidents"}\n\n'
    )
    hub.close_all()  # the listener lost the database: streams end, browsers fall back to polling
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    assert hub.subscribers == 0


async def test_a_full_hub_refuses_with_a_clear_503(app: Any, helpers: Any) -> None:
    hub = await _listening(app)
    small = ChangeHub(max_subscribers=1)
    small.subscribe()
    with pytest.raises(StreamsFull):
        small.subscribe()
    app.state.change_hub = small
    small.connected.set()
    try:
        response = await helpers.client.get("/api/v1/incidents/events")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "too_many_streams"
        small.connected.clear()
        response = await helpers.client.get("/api/v1/incidents/events")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "events_unavailable"
    finally:
        app.state.change_hub = hub
