"""One LISTEN connection per process, fanned out to every event stream the process serves.

The services signal the channel after their writes commit (``nightwatch_core.change_signal``:
incident-management after every write request answered 2xx, ingestion after storing or linking
alerts), so a change made by any replica reaches every replica's streams. A subscriber keeps the
*kinds* of change pending, not a queue of them: a slow browser gets one "incidents changed" for
a burst, never a backlog.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
from fastapi import FastAPI
from nightwatch_core.backoff import Backoff
from nightwatch_core.change_signal import CHANNEL
from nightwatch_core.db import connect_database
from nightwatch_core.migrations import libpq_dsn

KINDS = ("incidents", "alerts")
# Sent when the signals may have been missed (the listener lost its connection): refetch all.
RESYNC = "resync"
_LIVENESS_SECONDS = 10.0
_RECONNECT_MAX_SECONDS = 10.0

log = logging.getLogger(__name__)


class Subscriber:
    def __init__(self) -> None:
        self.pending: set[str] = set()
        self.closed = False
        self.wake = asyncio.Event()

    def take(self) -> list[str]:
        kinds = sorted(self.pending)
        self.pending.clear()
        self.wake.clear()
        return kinds


class StreamsFull(Exception):
    """The process serves its maximum number of event streams."""


class ChangeHub:
    def __init__(self, *, max_subscribers: int) -> None:
        self._subscribers: set[Subscriber] = set()
        self._max = max_subscribers
        # Set while this process LISTENs (tests and readiness wait on it, nobody sleeps for it).
        self.connected = asyncio.Event()

    @property
    def listening(self) -> bool:
        return self.connected.is_set()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def subscribe(self) -> Subscriber:
        if len(self._subscribers) >= self._max:
            raise StreamsFull()
        subscriber = Subscriber()
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def publish(self, kind: str) -> None:
        for subscriber in self._subscribers:
            subscriber.pending.add(kind)
            subscriber.wake.set()

    def close_all(self) -> None:
        """End every stream: without the listener they would go silent, and a browser whose
        stream ended falls back to polling until it can reconnect."""
        for subscriber in self._subscribers:
            subscriber.closed = True
            subscriber.wake.set()
        self._subscribers.clear()


def _termination_event(conn: asyncpg.Connection) -> asyncio.Event:
    lost = asyncio.Event()
    conn.add_termination_listener(lambda _conn: lost.set())
    return lost


async def listen_for_changes(app: FastAPI) -> None:
    """The process's LISTEN connection: reconnected with backoff; a lost connection ends the
    open streams (their changes in between would be missed) and a new one starts with a resync."""
    hub: ChangeHub = app.state.change_hub
    settings = app.state.settings
    retry = Backoff(0.5, _RECONNECT_MAX_SECONDS)
    failures = 0

    def on_signal(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload in KINDS:
            hub.publish(payload)

    while True:
        try:
            conn = await connect_database(
                libpq_dsn(settings.database_url),
                timeout=settings.db_connect_timeout_seconds,
                server_settings={"application_name": f"{settings.service_name}-listen"},
            )
        except (ConnectionError, OSError, asyncpg.PostgresError) as exc:
            log.warning("change listener cannot connect: %s", exc)
            failures += 1
            await asyncio.sleep(retry.seconds(failures))
            continue
        lost = _termination_event(conn)
        try:
            await conn.add_listener(CHANNEL, on_signal)
            hub.connected.set()
            hub.publish(RESYNC)  # a stream opened while reconnecting may have missed a change
            failures = 0
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), _LIVENESS_SECONDS)
                except TimeoutError:
                    # A dead peer without a FIN is only noticed by talking to it.
                    await conn.fetchval("SELECT 1", timeout=settings.db_connect_timeout_seconds)
        except (
            ConnectionError,
            OSError,
            TimeoutError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
        ) as exc:
            log.warning("change listener lost its connection: %s", exc)
        finally:
            hub.connected.clear()
            hub.close_all()
            conn.terminate()
        await asyncio.sleep(retry.seconds(1))
