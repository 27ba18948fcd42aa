"""Write and read the audit log. Keyword-only functions taking the session; the caller commits,
so an entry is stored exactly when the change it describes is (same transaction)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from nightwatch_core.request_context import current_request_id
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_gateway.audit.models import AuditEntry
from nightwatch_gateway.auth.dependencies import client_address

log = logging.getLogger("nightwatch.gateway.audit")
_TARGET_MAX = 2000


async def record(
    *,
    session: AsyncSession,
    request: Request,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor=actor.replace("\x00", "")[:300] or "?",
            action=action,
            target=None if target is None else target[:_TARGET_MAX],
            address=client_address(request)[:64],
            request_id=current_request_id(),
            details=details or {},
        )
    )
    await session.flush()


async def record_alone(request: Request, **entry: Any) -> None:
    """For a change that happened elsewhere (a service, through the proxy): its own transaction,
    and a failure to record is logged, never turned into an error for a change already made."""
    try:
        async with request.app.state.sessionmaker() as session:
            await record(session=session, request=request, **entry)
            await session.commit()
    except (SQLAlchemyError, OSError, TimeoutError):
        log.exception("could not write the audit entry", extra={"action": entry.get("action")})


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_entries(
    *, session: AsyncSession, filters: AuditFilters, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    conditions = []
    if filters.actor is not None:
        conditions.append(AuditEntry.actor == filters.actor)
    if filters.action is not None:
        # "login" matches every login.* action; "login.failed" only itself.
        conditions.append(
            AuditEntry.action == filters.action
            if "." in filters.action
            else AuditEntry.action.startswith(filters.action + ".", autoescape=True)
        )
    if filters.since is not None:
        conditions.append(AuditEntry.at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEntry.at < filters.until)
    total = (
        await session.execute(select(func.count()).select_from(AuditEntry).where(*conditions))
    ).scalar_one()
    rows = await session.execute(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total)
