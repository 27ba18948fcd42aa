"""Reading alerts: one, or a page of them (storing is store.py, on the hot path's pool).

Keyword-only, take the session, never commit and never call other services (flows.py does).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from nightwatch_core.errors import ApiError, NotFound
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_ingestion.alerts import models
from nightwatch_ingestion.alerts.schemas import AlertRead, SuppressedBy
from nightwatch_ingestion.routing.engine import UNROUTED_TEAM


# ------------------------------------------------------------------ reading
def _alerts() -> Any:
    return select(models.alerts)


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
        source=row.source,
        integration_id=row.integration_id,
        event=row.event,
        status=row.status,
        resolved_at=row.resolved_at,
        details=row.details,
        attached_at=row.linked_at,
        suppressed_by=(
            SuppressedBy(kind=row.suppressed_by_kind, id=row.suppressed_by_id)
            if row.suppressed_by_id is not None
            else None
        ),
    )


async def get_alert(session: AsyncSession, *, alert_id: uuid.UUID) -> AlertRead:
    row = (await session.execute(_alerts().where(models.alerts.c.id == alert_id))).first()
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
    unrouted: bool = False,
) -> tuple[list[AlertRead], str | None]:
    """Newest first (received_at, then id), keyset-paginated: stable while alerts keep arriving."""
    table = models.alerts
    query = _alerts()
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
    if unrouted:  # the partial index alerts_unrouted_idx
        query = query.where(table.c.team == UNROUTED_TEAM)
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
