"""`GET /api/v1/audit` (admin): the audit log, newest first, filtered and paginated."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import ApiError

from nightwatch_gateway.audit import service
from nightwatch_gateway.audit.schemas import AuditEntryRead, AuditPage
from nightwatch_gateway.auth.dependencies import require
from nightwatch_gateway.auth.policy import Need, Principal

router = APIRouter(prefix="/api/v1", tags=["audit"])


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ApiError(
            422, f"{name} needs a time zone (e.g. 2026-12-01T00:00:00Z)", code="validation_error"
        )
    return value


@router.get("/audit", summary="The audit log: who did what, newest first (admin)")
async def list_audit(
    _: Annotated[Principal, Depends(require(Need.admin))],
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=300, description="exactly this actor")] = None,
    action: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z_]+(\.[a-z_]+)?$",
            description="`login.failed`, or a family such as `login` or `account`",
        ),
    ] = None,
    since: Annotated[datetime | None, Query(description="from this instant (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="before this instant")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AuditPage:
    filters = service.AuditFilters(
        actor=actor, action=action, since=_aware("since", since), until=_aware("until", until)
    )
    entries, total = await service.list_entries(
        session=session, filters=filters, limit=limit, offset=offset
    )
    return AuditPage(
        items=[AuditEntryRead.model_validate(e) for e in entries],
        total=total,
        limit=limit,
        offset=offset,
    )
