"""Keeping an in-memory copy current on every replica: LISTEN on the channel a table's trigger
notifies, reload on each notification and at least every ``every`` seconds (a notification missed
while the listening connection was down). Used by the suppression and routing caches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import FastAPI
from nightwatch_core.db import connect_database, libpq_dsn

log = logging.getLogger("nightwatch.ingestion")


async def keep_current(
    app: FastAPI,
    *,
    channel: str,
    changed: asyncio.Event,
    reload: Callable[[], Awaitable[None]],
    every: float,
    what: str,
) -> None:
    settings = app.state.settings
    while True:
        conn: asyncpg.Connection | None = None
        try:
            conn = await connect_database(
                libpq_dsn(settings.database_url), timeout=settings.db_connect_timeout_seconds
            )
            await conn.add_listener(channel, lambda *_: changed.set())
            while not conn.is_closed():
                changed.clear()
                await reload()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout=every)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database is down: the cache keeps what it had
            log.warning("%s not refreshed: %s", what, exc)
            await asyncio.sleep(min(5.0, every))
        finally:
            # terminate(), not close(): a cleanup path (also on cancellation at shutdown) must not
            # wait on a server that may be stopping or gone.
            if conn is not None:
                conn.terminate()
