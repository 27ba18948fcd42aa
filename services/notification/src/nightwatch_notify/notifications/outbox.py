"""The outbox's two statements: claim due notifications under a lease, record attempts.

A claim is one statement (its own transaction, on the raw asyncpg pool): it takes up to ``limit``
due rows (``FOR UPDATE SKIP LOCKED``, so concurrent claims never take one row twice) and moves
their ``next_attempt_at`` to the end of a lease longer than any channel's timeout. The row is then
not due for anyone else while it is being sent; the lock itself is released at once, so a slow
receiver holds no database connection. The outcome is recorded only if the row still carries that
lease (a fence): a sender that outlived its lease cannot overwrite what a later attempt recorded.
A crash between claim and record leaves the row pending, due again when the lease ends
(at-least-once, as before: receivers deduplicate on ``X-Nightwatch-Notification-Id``).

Outcomes that complete together are recorded with one statement (``record``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class Claimed:
    """A notification claimed for one attempt (what a channel needs, and the lease's fence)."""

    id: uuid.UUID
    recipient: str
    channel: str
    subject: str
    message: str
    incident_id: uuid.UUID | None
    attempts: int  # before this attempt
    max_attempts: int
    created_at: datetime
    lease: datetime


@dataclass(frozen=True)
class Attempt:
    """The outcome of one attempt, ready to record."""

    claimed: Claimed
    status: str  # delivered | pending (retry) | failed
    error: str | None
    next_attempt_at: datetime | None


_CLAIM_SQL = """
UPDATE notification.notifications
SET next_attempt_at = $2
WHERE id IN (
    SELECT id FROM notification.notifications
    WHERE status = 'pending' AND next_attempt_at <= $1
    ORDER BY next_attempt_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
RETURNING id, recipient, channel, subject, message, incident_id, attempts, max_attempts,
          created_at, next_attempt_at AS lease
"""

_RECORD_SQL = """
UPDATE notification.notifications n
SET attempts = n.attempts + 1,
    status = o.status,
    next_attempt_at = o.next_attempt_at,
    delivered_at = CASE WHEN o.status = 'delivered' THEN $7 ELSE n.delivered_at END,
    last_error = coalesce(o.error, n.last_error),
    updated_at = $7
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::timestamptz[], $6::int[])
     AS o(id, lease, status, error, next_attempt_at, attempts)
WHERE n.id = o.id AND n.status = 'pending' AND n.next_attempt_at = o.lease
      AND n.attempts = o.attempts
"""


async def claim(
    conn: asyncpg.Connection, *, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Up to ``limit`` due notifications, oldest due first, leased until ``now + lease``."""
    rows = await conn.fetch(_CLAIM_SQL, now, now + lease, limit)
    claimed = [Claimed(**row) for row in rows]
    return sorted(claimed, key=lambda c: (c.created_at, c.id))


def outcome(
    claimed: Claimed, error: str | None, *, retry_after: timedelta | None, now: datetime
) -> Attempt:
    """Delivered (no error), retried after ``retry_after``, or failed: no retry, or no attempts
    left."""
    if error is None:
        return Attempt(claimed, "delivered", None, None)
    error = error[:MAX_ERROR_LENGTH]
    if retry_after is None or claimed.attempts + 1 >= claimed.max_attempts:
        return Attempt(claimed, "failed", error, None)
    return Attempt(claimed, "pending", error, now + retry_after)


async def record(conn: asyncpg.Connection, *, attempts: list[Attempt], now: datetime) -> None:
    """Count each attempt and store its outcome, in one statement."""
    await conn.execute(
        _RECORD_SQL,
        [a.claimed.id for a in attempts],
        [a.claimed.lease for a in attempts],
        [a.status for a in attempts],
        [a.error for a in attempts],
        [a.next_attempt_at for a in attempts],
        [a.claimed.attempts for a in attempts],
        now,
    )
