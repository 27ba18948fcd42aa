"""Typed request dependencies: the actor of a change, the idempotency key, list filters, a raw
connection. All ``async def``: FastAPI runs a plain ``def`` dependency in its thread pool, and that
hop cost more than what these functions do (profile of ``make bench-incidents``)."""

from __future__ import annotations

import re
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Query, Request
from nightwatch_core.errors import ApiError
from nightwatch_core.validation import UtcDatetime, checked_query, reject_nul

from nightwatch_incidents.incidents.page_state import PageState
from nightwatch_incidents.incidents.queries import IncidentFilters
from nightwatch_incidents.incidents.schemas import (
    PERSON_MAX,
    SERVICE_MAX,
    TEAM_MAX,
)
from nightwatch_incidents.incidents.states import Severity, Status

SEARCH_MAX = 200
_PRINTABLE = re.compile(r"^[\x20-\x7e\u00a0-\uffff]+$")


def _header_text(name: str, value: str, max_length: int) -> str:
    value = value.strip()
    if not value or len(value) > max_length or not _PRINTABLE.match(value):
        raise ApiError(
            422,
            f"{name} must be 1-{max_length} printable characters",
            details=[{"loc": f"header.{name}", "msg": "invalid value", "type": "value_error"}],
        )
    return value


async def actor(
    x_actor: Annotated[
        str | None,
        Header(description="Who makes the change (set by the gateway); default `anonymous`"),
    ] = None,
) -> str:
    if x_actor is None:
        return "anonymous"
    return _header_text("X-Actor", x_actor, PERSON_MAX)


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Same key -> same incident (200 instead of 201), up to 255 characters",
        ),
    ] = None,
) -> str | None:
    return None if key is None else _header_text("Idempotency-Key", key, 255)


def _choices(name: str, raw: list[str] | None, allowed: type[Status] | type[Severity]) -> list[str]:
    """Repeated (`?status=open&status=acknowledged`) or comma-separated values."""
    values = [part.strip() for item in raw or [] for part in item.split(",") if part.strip()]
    valid = {member.value for member in allowed}
    unknown = [v for v in values if v not in valid]
    if unknown:
        raise ApiError(
            422,
            f"Unknown {name} {unknown[0][:50]!r}; allowed: {', '.join(m.value for m in allowed)}",
            details=[{"loc": f"query.{name}", "allowed": sorted(valid), "type": "enum"}],
        )
    return sorted(set(values))


def _optional_text(name: str, value: str | None) -> str | None:
    return checked_query(f"query.{name}", reject_nul, value)


def _search_text(name: str, value: str | None) -> str | None:
    """Blank means no filter (a cleared search box), not "match everything twice"."""
    text = _optional_text(name, value)
    return text.strip() or None if text is not None else None


async def incident_filters(
    status: Annotated[
        list[str] | None, Query(description="open, acknowledged, in_progress, resolved; several")
    ] = None,
    severity: Annotated[
        list[str] | None, Query(description="critical, high, medium, low; several")
    ] = None,
    service: Annotated[str | None, Query(max_length=SERVICE_MAX, description="exact name")] = None,
    service_contains: Annotated[
        str | None,
        Query(max_length=SERVICE_MAX, description="part of the service name, any case"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=SEARCH_MAX,
            description="text search: part of the title, service or description (which holds "
            "the alert's message and labels, `key=value`), any case",
        ),
    ] = None,
    team: Annotated[str | None, Query(max_length=TEAM_MAX)] = None,
    assignee: Annotated[str | None, Query(max_length=PERSON_MAX)] = None,
    since: Annotated[UtcDatetime | None, Query(description="created at or after")] = None,
    until: Annotated[UtcDatetime | None, Query(description="created before")] = None,
    page_state: Annotated[
        PageState | None,
        Query(description="pending, paged or nobody_paged: whether the escalation paged anyone"),
    ] = None,
) -> IncidentFilters:
    if since is not None and until is not None and since > until:
        raise ApiError(422, "since must not be after until")
    return IncidentFilters(
        statuses=_choices("status", status, Status),
        severities=_choices("severity", severity, Severity),
        service=_optional_text("service", service),
        service_contains=_search_text("service_contains", service_contains),
        text=_search_text("q", q),
        team=_optional_text("team", team),
        assignee=_optional_text("assignee", assignee),
        since=since,
        until=until,
        page_state=None if page_state is None else page_state.value,
    )


async def db_pool(request: Request) -> asyncpg.Pool:
    """The raw pool for single-statement queries. The handler acquires a connection itself: a
    yield dependency costs an exit stack and a cancel scope per request (~10 % of a list)."""
    return request.app.state.db_pool


ActorDep = Annotated[str, Depends(actor)]
IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]
FiltersDep = Annotated[IncidentFilters, Depends(incident_filters)]
PoolDep = Annotated[asyncpg.Pool, Depends(db_pool)]
