"""A missed heartbeat raises an alert; the next ping resolves it. Both go the normal alert path
(``flows.accept_prepared``: silences, incident-management, the link queue when it is down).

The deadline is a row in PostgreSQL. Any replica's worker claims due rows with ``FOR UPDATE SKIP
LOCKED`` and raises their alerts *inside* that transaction, committing ``state = 'down'`` after the
alerts are stored: a second worker skips the locked rows and then sees them down, so a deadline
fires once; a crash before the commit leaves the row due, and the alert raised again carries the
same fingerprint, so it joins the incident it opened (``duplicate``) instead of opening another.
A ping takes the same row lock, so it never interleaves with the worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from fastapi import FastAPI
from nightwatch_core.errors import DatabaseUnavailable, NotFound
from nightwatch_core.ids import uuid7
from nightwatch_core.polling import PollingWorker

from nightwatch_ingestion.alerts import flows
from nightwatch_ingestion.alerts.fingerprint import of_dedup_key
from nightwatch_ingestion.alerts.placement import Prepared
from nightwatch_ingestion.metrics import HEARTBEATS_MISSED

_COLUMNS = """id, name, team, service, severity, interval_seconds, grace_seconds, state,
    deadline_at, last_ping_at"""

CLAIM_DUE = f"""
    SELECT {_COLUMNS} FROM ingestion.heartbeats
    WHERE state <> 'down' AND deadline_at <= $1
    ORDER BY deadline_at LIMIT $2
    FOR UPDATE SKIP LOCKED
"""  # noqa: S608 - constant fragment
MARK_DOWN = """
    UPDATE ingestion.heartbeats SET state = 'down', last_missed_at = $2, updated_at = $2
    WHERE id = ANY($1::uuid[])
"""
LOCK_BY_KEY = f"""
    SELECT {_COLUMNS} FROM ingestion.heartbeats WHERE ping_key = $1 FOR UPDATE
"""  # noqa: S608 - constant fragment
MARK_UP = """
    UPDATE ingestion.heartbeats
    SET state = 'up', last_ping_at = $2, updated_at = $2, deadline_at = $3
    WHERE id = $1
"""


def heartbeat_alert(row: Any, *, event: str, now: datetime) -> Prepared:
    """The heartbeat's alert: one identity per heartbeat, so its trigger and resolve meet."""
    labels = {"heartbeat": row["name"], "team": row["team"]}
    missed_for = row["interval_seconds"] + row["grace_seconds"]
    return Prepared(
        alert_id=uuid7(),
        service=row["service"],
        severity=row["severity"],
        fingerprint=of_dedup_key(f"heartbeat:{row['id']}"),
        message=(
            f"Heartbeat {row['name']!r} missed: no ping for {missed_for} s "
            f"(interval {row['interval_seconds']} s + grace {row['grace_seconds']} s)"
            if event == "trigger"
            else f"Heartbeat {row['name']!r} pinged again"
        ),
        labels=labels,
        labels_json=orjson.dumps(labels).decode(),
        timestamp=now,
        team=row["team"],
        received_at=now,
        source="heartbeat",
        event=event,
        actor=f"heartbeat:{row['name']}",
    )


async def ping(app: FastAPI, *, key: str) -> tuple[Any, datetime, bool]:
    """Record a ping: (the heartbeat, its new deadline, whether it ended a miss)."""
    try:
        return await _ping(app, key=key)
    except flows.DATABASE_DOWN:
        raise DatabaseUnavailable() from None


async def _ping(app: FastAPI, *, key: str) -> tuple[Any, datetime, bool]:
    now = app.state.clock.now()
    async with app.state.db_pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(LOCK_BY_KEY, key)
        if row is None:
            raise NotFound("Heartbeat ping key", key[:8] + "…")
        was_down = row["state"] == "down"
        if was_down:  # stored before the row says up: a crash in between resolves again
            await flows.accept_prepared(
                app=app, prepared=[heartbeat_alert(row, event="resolve", now=now)]
            )
        deadline = now + timedelta(seconds=row["interval_seconds"] + row["grace_seconds"])
        await conn.execute(MARK_UP, row["id"], now, deadline)
    return row, deadline, was_down


class HeartbeatWorker(PollingWorker):
    """Raises the alerts of missed heartbeats (every replica runs one; SKIP LOCKED shares them)."""

    async def run_due(self, app: FastAPI) -> int:
        now = app.state.clock.now()
        async with app.state.db_pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM_DUE, now, self.batch_size)
            if not rows:
                return 0
            await flows.accept_prepared(
                app=app, prepared=[heartbeat_alert(row, event="trigger", now=now) for row in rows]
            )
            await conn.execute(MARK_DOWN, [row["id"] for row in rows], now)
        HEARTBEATS_MISSED.inc(len(rows))
        return len(rows)


async def heartbeat_worker(app: FastAPI) -> None:
    await app.state.heartbeat_worker.worker(app)
