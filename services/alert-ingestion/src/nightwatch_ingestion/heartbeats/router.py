"""``/api/v1/heartbeats`` (admin, enforced by the gateway: the answers carry ping keys) and the
ping URL ``/api/v1/heartbeats/ping/{key}`` (GET, HEAD or POST; the gateway forwards it without a
login, the key in the URL is the credential)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request, Response
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.validation import Limit, Offset

from nightwatch_ingestion.heartbeats import flows, service
from nightwatch_ingestion.heartbeats.schemas import (
    HeartbeatCreate,
    HeartbeatList,
    HeartbeatRead,
    HeartbeatUpdate,
    PingAnswer,
)

router = APIRouter(tags=["heartbeats"])
_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"description": "Unknown heartbeat"},
    409: {"description": "The name is taken"},
}
PingKey = Annotated[str, Path(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


def _base(request: Request) -> str:
    return str(request.app.state.settings.public_base_url)


def _read(request: Request, row: object) -> HeartbeatRead:
    return service.to_read(row, public_base_url=_base(request))


@router.post("/api/v1/heartbeats", status_code=201, responses=_ERRORS)
async def create_heartbeat(
    body: HeartbeatCreate, request: Request, session: SessionDep, clock: ClockDep
) -> HeartbeatRead:
    """Its ping URL is in the answer; missing interval + grace (from now) raises an alert."""
    row = await service.create(session=session, data=body, now=clock.now())
    await session.commit()
    return _read(request, row)


@router.get("/api/v1/heartbeats")
async def list_heartbeats(
    request: Request, session: SessionDep, limit: Limit = 500, offset: Offset = 0
) -> HeartbeatList:
    rows, total = await service.list_page(session=session, limit=limit, offset=offset)
    items = [_read(request, row) for row in rows]
    return HeartbeatList(items=items, total=total, limit=limit, offset=offset)


_PING = "/api/v1/heartbeats/ping/{key}"
_PING_ERRORS: dict[int | str, dict[str, object]] = {404: {"description": "Unknown ping key"}}


# One route per method: each gets its own operationId in the OpenAPI.
@router.get(_PING, responses=_PING_ERRORS)
@router.post(_PING, responses=_PING_ERRORS)
@router.head(_PING, responses=_PING_ERRORS, include_in_schema=False)
async def ping_heartbeat(key: PingKey, request: Request) -> PingAnswer:
    """The next deadline is now + interval + grace; a missed heartbeat's alert resolves."""
    row, deadline, resolved = await flows.ping(request.app, key=key)
    return PingAnswer(heartbeat=row["name"], state="up", deadline_at=deadline, resolved=resolved)


@router.get("/api/v1/heartbeats/{heartbeat_id}", responses=_ERRORS)
async def get_heartbeat(heartbeat_id: UUID, request: Request, session: SessionDep) -> HeartbeatRead:
    return _read(request, await service.get(session=session, heartbeat_id=heartbeat_id))


@router.patch("/api/v1/heartbeats/{heartbeat_id}", responses=_ERRORS)
async def update_heartbeat(
    heartbeat_id: UUID,
    body: HeartbeatUpdate,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
) -> HeartbeatRead:
    row = await service.change(
        session=session, heartbeat_id=heartbeat_id, data=body, now=clock.now()
    )
    await session.commit()
    return _read(request, row)


@router.post("/api/v1/heartbeats/{heartbeat_id}/rotate-key", responses=_ERRORS)
async def rotate_ping_key(
    heartbeat_id: UUID, request: Request, session: SessionDep, clock: ClockDep
) -> HeartbeatRead:
    """A new ping URL; the old one stops working."""
    row = await service.rotate_key(session=session, heartbeat_id=heartbeat_id, now=clock.now())
    await session.commit()
    return _read(request, row)


@router.delete("/api/v1/heartbeats/{heartbeat_id}", status_code=204, responses=_ERRORS)
async def delete_heartbeat(heartbeat_id: UUID, session: SessionDep) -> Response:
    """Stops watching; an incident its miss opened stays as it is."""
    await service.remove(session=session, heartbeat_id=heartbeat_id)
    await session.commit()
    return Response(status_code=204)
