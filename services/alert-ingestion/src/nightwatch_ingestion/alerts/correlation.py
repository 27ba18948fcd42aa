"""Correlation groups: which open incident an alert joins, decided by PostgreSQL.

The rules, as SQL (see docs/alerts.md):
- at most one open group per (service, severity): a unique partial index;
- an alert joins the open group if that group's latest alert arrived within the window;
- otherwise the stale group is closed and a new one inserted with ``ON CONFLICT DO NOTHING``:
  of any number of racing requests (or replicas) exactly one inserts, the others wait for its
  commit, see its row and join it.
No row lock is held across statements on the hot path: ``last_alert_at`` is refreshed at most once
a second per group, skipping a row another transaction is already updating.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

GroupKey = tuple[str, str]  # (service, severity)

# last_alert_at is precise to this much; refreshing it on every alert would serialise them all.
TOUCH_GRANULARITY = timedelta(seconds=1)
# Before the worker may create a new group's incident: the request that opened it tries first.
INLINE_GRACE = timedelta(seconds=10)

_OPEN_GROUPS = text(
    """
    WITH open_groups AS (
        SELECT g.id, g.service, g.severity, g.incident_id, g.last_alert_at
        FROM ingestion.correlation_groups g
        JOIN unnest(CAST(:services AS text[]), CAST(:severities AS text[])) AS k(service, severity)
          ON g.service = k.service AND g.severity = k.severity
        WHERE g.closed_at IS NULL
    ), touched AS (
        UPDATE ingestion.correlation_groups SET last_alert_at = :now
        WHERE id IN (
            SELECT id FROM ingestion.correlation_groups
            WHERE id IN (SELECT id FROM open_groups
                         WHERE last_alert_at >= :cutoff AND last_alert_at < :touch_before)
            FOR UPDATE SKIP LOCKED
        )
        RETURNING id
    )
    SELECT id, service, severity, incident_id, last_alert_at FROM open_groups
    """
)

_INSERT_GROUP = text(
    """
    INSERT INTO ingestion.correlation_groups
        (id, service, severity, team, title, description, opened_at, last_alert_at, link_due_at)
    VALUES (:id, :service, :severity, :team, :title, :description, :now, :now, :link_due_at)
    ON CONFLICT (service, severity) WHERE closed_at IS NULL DO NOTHING
    RETURNING id
    """
)

_SELECT_OPEN = text(
    """
    SELECT id, incident_id, last_alert_at FROM ingestion.correlation_groups
    WHERE service = :service AND severity = :severity AND closed_at IS NULL
    """
)

_EXPIRE = text(
    """
    UPDATE ingestion.correlation_groups SET closed_at = :now, close_reason = 'window_expired'
    WHERE id = :id AND closed_at IS NULL AND last_alert_at < :cutoff
    """
)


@dataclass(frozen=True)
class Group:
    id: uuid.UUID
    incident_id: uuid.UUID | None
    opened_here: bool  # this transaction opened it: its first alert is the "new_incident"


@dataclass(frozen=True)
class GroupProposal:
    """What a new group would be, if this request has to open one."""

    team: str
    title: str
    description: str


async def find_groups(
    session: AsyncSession,
    *,
    keys: list[GroupKey],
    now: datetime,
    window: timedelta,
    proposals: dict[GroupKey, GroupProposal],
) -> dict[GroupKey, Group]:
    """The group each key's alerts join, opening (and expiring) groups where needed."""
    cutoff = now - window
    rows = (
        await session.execute(
            _OPEN_GROUPS,
            {
                "services": [k[0] for k in keys],
                "severities": [k[1] for k in keys],
                "now": now,
                "cutoff": cutoff,
                "touch_before": now - TOUCH_GRANULARITY,
            },
        )
    ).all()
    groups: dict[GroupKey, Group] = {}
    stale: dict[GroupKey, Any] = {}
    for row in rows:
        key = (row.service, row.severity)
        if row.last_alert_at >= cutoff:
            groups[key] = Group(row.id, row.incident_id, opened_here=False)
        else:
            stale[key] = row
    # Sorted, so two requests opening several groups lock them in the same order.
    for key in sorted(k for k in keys if k not in groups):
        groups[key] = await _open_group(
            session, key=key, now=now, cutoff=cutoff, stale=stale.get(key), proposal=proposals[key]
        )
    return groups


async def _open_group(
    session: AsyncSession,
    *,
    key: GroupKey,
    now: datetime,
    cutoff: datetime,
    stale: Any,
    proposal: GroupProposal,
) -> Group:
    service, severity = key
    if stale is not None:
        await session.execute(_EXPIRE, {"id": stale.id, "now": now, "cutoff": cutoff})
    for _ in range(5):
        group_id = uuid.uuid4()
        inserted = (
            await session.execute(
                _INSERT_GROUP,
                {
                    "id": group_id,
                    "service": service,
                    "severity": severity,
                    "team": proposal.team,
                    "title": proposal.title,
                    "description": proposal.description,
                    "now": now,
                    "link_due_at": now + INLINE_GRACE,
                },
            )
        ).first()
        if inserted is not None:
            return Group(group_id, None, opened_here=True)
        # Another transaction opened it first (we waited for its commit): join it if it is fresh.
        row = (
            await session.execute(_SELECT_OPEN, {"service": service, "severity": severity})
        ).first()
        if row is None:
            continue  # closed in between: try to open again
        if row.last_alert_at >= cutoff:
            return Group(row.id, row.incident_id, opened_here=False)
        await session.execute(_EXPIRE, {"id": row.id, "now": now, "cutoff": cutoff})
    raise RuntimeError(f"could not settle the correlation group of {service}/{severity}")
