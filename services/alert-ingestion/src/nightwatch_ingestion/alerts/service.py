"""Alert data functions: store a batch with its correlation, list, read, link, close groups.

Keyword-only, take the session, never commit and never call other services (flows.py does).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from nightwatch_core.errors import ApiError, NotFound
from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_ingestion.alerts import models
from nightwatch_ingestion.alerts.correlation import GroupKey, GroupProposal, find_groups
from nightwatch_ingestion.alerts.fingerprint import fingerprint
from nightwatch_ingestion.alerts.schemas import AlertCreate, AlertRead, CorrelationResult

_INSERT_FINGERPRINTS = text(
    """
    INSERT INTO ingestion.group_fingerprints (group_id, fingerprint)
    SELECT g, f FROM unnest(CAST(:group_ids AS uuid[]), CAST(:fingerprints AS text[])) AS t(g, f)
    ORDER BY g, f
    ON CONFLICT DO NOTHING
    RETURNING group_id, fingerprint
    """
)

# Alerts that already have their incident are queued for its timeline in the same statement.
_INSERT_ALERTS = text(
    """
    WITH stored AS (
    INSERT INTO ingestion.alerts (id, fingerprint, service, severity, message, labels,
        alert_timestamp, received_at, incident_id, correlation_result, group_id, team)
    SELECT a.id, a.fingerprint, a.service, a.severity, a.message, CAST(a.labels AS jsonb),
        a.ts, :now, a.incident_id, a.result, a.group_id, a.team
    FROM unnest(CAST(:ids AS uuid[]), CAST(:fingerprints AS text[]), CAST(:services AS text[]),
        CAST(:severities AS text[]), CAST(:messages AS text[]), CAST(:labels AS text[]),
        CAST(:timestamps AS timestamptz[]), CAST(:incident_ids AS uuid[]),
        CAST(:results AS text[]), CAST(:group_ids AS uuid[]), CAST(:teams AS text[]))
      AS a(id, fingerprint, service, severity, message, labels, ts, incident_id, result,
           group_id, team)
    RETURNING id, incident_id
    )
    INSERT INTO ingestion.attach_queue (alert_id)
    SELECT id FROM stored WHERE incident_id IS NOT NULL
    """
)

# Linking an alert queues it for its incident's timeline (ingestion.attach_queue).
_LINK_ALERTS = """
    WITH linked AS (
        UPDATE ingestion.alerts a SET incident_id = g.incident_id
        FROM ingestion.correlation_groups g
        WHERE a.incident_id IS NULL AND a.group_id = g.id AND g.incident_id IS NOT NULL {only}
        RETURNING a.id
    )
    INSERT INTO ingestion.attach_queue (alert_id) SELECT id FROM linked ON CONFLICT DO NOTHING
"""
_LINK_ALL_ALERTS = text(_LINK_ALERTS.format(only=""))
_LINK_GROUP_ALERTS = text(
    _LINK_ALERTS.format(only="AND a.group_id = ANY(CAST(:group_ids AS uuid[]))")
)


@dataclass
class StoredAlert:
    alert_id: uuid.UUID
    fingerprint: str
    severity: str
    group_id: uuid.UUID
    incident_id: uuid.UUID | None
    result: CorrelationResult


@dataclass
class StoredBatch:
    alerts: list[StoredAlert]
    opened_groups: list[uuid.UUID]  # groups this batch opened: their incident is still to create


def alert_fingerprint(alert: AlertCreate) -> str:
    return fingerprint(
        service=alert.service,
        severity=alert.severity.value,
        message=alert.message,
        labels=alert.labels,
    )


def team_for(alert: AlertCreate, *, service_team_map: dict[str, str], default_team: str) -> str:
    """labels.team, else the configured service->team map, else the default team."""
    label = alert.labels.get("team", "").strip()
    return label or service_team_map.get(alert.service) or default_team


def incident_proposal(alert: AlertCreate, team: str) -> GroupProposal:
    title = f"[{alert.severity.value}] {alert.service}: {alert.message}"[:500]
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    description = f"{alert.message}\n\nService: {alert.service}\nSeverity: {alert.severity.value}"
    if labels:
        description += f"\nLabels: {labels}"
    return GroupProposal(team=team, title=title, description=description)


async def store_alerts(
    session: AsyncSession,
    *,
    alerts: list[AlertCreate],
    now: datetime,
    window: timedelta,
    team_of: Callable[[AlertCreate], str],
    alert_ids: list[uuid.UUID],
) -> StoredBatch:
    """Store a batch (one alert is a batch of one) and decide each alert's correlation result."""
    teams = [team_of(alert) for alert in alerts]
    keys: list[GroupKey] = []
    proposals: dict[GroupKey, GroupProposal] = {}
    for alert, team in zip(alerts, teams, strict=True):
        key = (alert.service, alert.severity.value)
        if key not in proposals:
            keys.append(key)
            proposals[key] = incident_proposal(alert, team)
    groups = await find_groups(session, keys=keys, now=now, window=window, proposals=proposals)

    fingerprints = [alert_fingerprint(a) for a in alerts]
    alert_groups = [groups[(a.service, a.severity.value)] for a in alerts]
    inserted = await session.execute(
        _INSERT_FINGERPRINTS,
        {"group_ids": [g.id for g in alert_groups], "fingerprints": fingerprints},
    )
    first_seen = {(row.group_id, row.fingerprint) for row in inserted}

    stored: list[StoredAlert] = []
    groups_with_alerts: set[uuid.UUID] = set()
    for alert_id, alert, fp, group in zip(
        alert_ids, alerts, fingerprints, alert_groups, strict=True
    ):
        if (group.id, fp) in first_seen:
            first_seen.discard((group.id, fp))  # a repeat later in this batch is a duplicate
            if group.opened_here and group.id not in groups_with_alerts:
                result = CorrelationResult.new_incident
            else:
                result = CorrelationResult.correlated
        else:
            result = CorrelationResult.duplicate
        groups_with_alerts.add(group.id)
        stored.append(
            StoredAlert(alert_id, fp, alert.severity.value, group.id, group.incident_id, result)
        )

    await session.execute(
        _INSERT_ALERTS,
        {
            "now": now,
            "ids": alert_ids,
            "fingerprints": fingerprints,
            "services": [a.service for a in alerts],
            "severities": [a.severity.value for a in alerts],
            "messages": [a.message for a in alerts],
            "labels": [orjson.dumps(a.labels).decode() for a in alerts],
            "timestamps": [a.timestamp or now for a in alerts],
            "incident_ids": [s.incident_id for s in stored],
            "results": [s.result.value for s in stored],
            "group_ids": [s.group_id for s in stored],
            "teams": teams,
        },
    )
    opened = [g.id for g in groups.values() if g.opened_here]
    return StoredBatch(alerts=stored, opened_groups=opened)


# ------------------------------------------------------------------ linking to incidents
async def set_group_incident(
    session: AsyncSession, *, group_id: uuid.UUID, incident_id: uuid.UUID
) -> None:
    """Record the group's incident and give it to every alert of the group still without one."""
    await session.execute(
        update(models.correlation_groups)
        .where(models.correlation_groups.c.id == group_id)
        .values(incident_id=incident_id, link_error=None)
    )
    await link_pending_alerts(session, group_ids=[group_id])


async def make_groups_due(
    session: AsyncSession, *, group_ids: list[uuid.UUID], now: datetime
) -> None:
    """The link worker may open these groups' incidents now."""
    await session.execute(
        update(models.correlation_groups)
        .where(models.correlation_groups.c.id.in_(group_ids))
        .values(link_due_at=now)
    )


async def link_pending_alerts(
    session: AsyncSession, *, group_ids: list[uuid.UUID] | None = None
) -> int:
    """Alerts stored while their group's incident did not exist yet get its id now.

    Also heals the race where an alert commits just after its group was linked.
    """
    if group_ids:
        result = await session.execute(_LINK_GROUP_ALERTS, {"group_ids": group_ids})
    else:
        result = await session.execute(_LINK_ALL_ALERTS)
    return int(getattr(result, "rowcount", 0) or 0)


async def close_incident_groups(
    session: AsyncSession, *, incident_id: uuid.UUID, now: datetime
) -> int:
    """The incident was resolved: its group closes, so the next alert opens a new incident."""
    result = await session.execute(
        update(models.correlation_groups)
        .where(
            models.correlation_groups.c.incident_id == incident_id,
            models.correlation_groups.c.closed_at.is_(None),
        )
        .values(closed_at=now, close_reason="resolved")
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ------------------------------------------------------------------ reading
def _with_delivery() -> Any:
    """Alerts with the time each reached its incident's timeline (null until then)."""
    alerts, deliveries = models.alerts, models.alert_deliveries
    return select(alerts, deliveries.c.attached_at).select_from(
        alerts.outerjoin(deliveries, deliveries.c.alert_id == alerts.c.id)
    )


def _to_read(row: Any) -> AlertRead:
    return AlertRead(
        id=row.id,
        fingerprint=row.fingerprint,
        service=row.service,
        severity=row.severity,
        message=row.message,
        labels=row.labels,
        timestamp=row.alert_timestamp,
        received_at=row.received_at,
        incident_id=row.incident_id,
        result=row.correlation_result,
        team=row.team,
        attached_at=row.attached_at,
    )


async def get_alert(session: AsyncSession, *, alert_id: uuid.UUID) -> AlertRead:
    row = (await session.execute(_with_delivery().where(models.alerts.c.id == alert_id))).first()
    if row is None:
        raise NotFound("Alert", alert_id)
    return _to_read(row)


def encode_cursor(received_at: datetime, alert_id: uuid.UUID) -> str:
    raw = f"{received_at.isoformat()}|{alert_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, alert_id = raw.split("|")
        received_at = datetime.fromisoformat(stamp)
        if received_at.tzinfo is None:
            raise ValueError("cursor time has no zone")
        return received_at, uuid.UUID(alert_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(422, "Invalid cursor: pass next_cursor from a previous page") from None


async def list_alerts(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None = None,
    service: str | None = None,
    severity: str | None = None,
    incident_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AlertRead], str | None]:
    """Newest first (received_at, then id), keyset-paginated: stable while alerts keep arriving."""
    table = models.alerts
    query = _with_delivery()
    if service is not None:
        query = query.where(table.c.service == service)
    if severity is not None:
        query = query.where(table.c.severity == severity)
    if incident_id is not None:
        query = query.where(table.c.incident_id == incident_id)
    if since is not None:
        query = query.where(table.c.received_at >= since)
    if until is not None:
        query = query.where(table.c.received_at < until)
    if cursor is not None:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                table.c.received_at < after_time,
                and_(table.c.received_at == after_time, table.c.id < after_id),
            )
        )
    query = query.order_by(table.c.received_at.desc(), table.c.id.desc()).limit(limit + 1)
    rows = (await session.execute(query)).all()
    items = [_to_read(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.received_at, last.id)
    return items, next_cursor
