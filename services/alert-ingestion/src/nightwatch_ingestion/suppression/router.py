"""``/api/v1/silences`` (responders create and expire them) and ``/api/v1/maintenance-windows``
(admin), roles enforced by the gateway. Thin: parse, call the service, commit, reload this
replica's cache (the others hear the NOTIFY), answer."""

from __future__ import annotations

import logging
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.validation import Limit, Offset, checked_query, reject_nul

from nightwatch_ingestion.suppression import service
from nightwatch_ingestion.suppression.schemas import (
    Lifecycle,
    SilenceCreate,
    SilenceList,
    SilenceRead,
    WindowCreate,
    WindowList,
    WindowRead,
)

log = logging.getLogger("nightwatch.ingestion.suppression")
router = APIRouter(tags=["silences and maintenance"])
_ERRORS: dict[int | str, dict[str, object]] = {404: {"description": "Unknown id"}}
ActorHeader = Annotated[
    str | None, Header(description="Who makes the change (set by the gateway)", max_length=200)
]


def actor_of(x_actor: str | None) -> str:
    actor = checked_query("header.X-Actor", reject_nul, (x_actor or "").strip())
    return actor or "anonymous"


async def _changed(request: Request) -> None:
    app = request.app
    try:
        await app.state.suppression.reload(app.state.db_pool, now=app.state.clock.now())
    except Exception as exc:  # committed already: the listener and the periodic reload catch up
        log.warning("suppression cache not reloaded after a change: %s", exc)
    app.state.release_worker.wake()  # an expiry or deletion: what it held may open incidents


# ------------------------------------------------------------------ silences
@router.post("/api/v1/silences", status_code=201)
async def create_silence(
    body: SilenceCreate,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    x_actor: ActorHeader = None,
) -> SilenceRead:
    """Matching alerts are stored and shown as silenced: no incident, no page."""
    now = clock.now()
    row = await service.create_silence(session=session, data=body, actor=actor_of(x_actor), now=now)
    await session.commit()
    await _changed(request)
    return service.silence_read(row, now=now)


@router.get("/api/v1/silences")
async def list_silences(
    session: SessionDep,
    clock: ClockDep,
    status: Lifecycle | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> SilenceList:
    """Latest-ending first; ``status`` = pending, active or expired."""
    now = clock.now()
    rows, total = await service.list_silences(
        session=session, status=status, now=now, limit=limit, offset=offset
    )
    items = [service.silence_read(row, now=now) for row in rows]
    return SilenceList(items=items, total=total, limit=limit, offset=offset)


@router.get("/api/v1/silences/{silence_id}", responses=_ERRORS)
async def get_silence(silence_id: UUID, session: SessionDep, clock: ClockDep) -> SilenceRead:
    row = await service.get_silence(session=session, silence_id=silence_id)
    return service.silence_read(row, now=clock.now())


@router.post("/api/v1/silences/{silence_id}/expire", responses=_ERRORS)
async def expire_silence(
    silence_id: UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    x_actor: ActorHeader = None,
) -> SilenceRead:
    """End it now; the next matching alert opens an incident again."""
    now = clock.now()
    row = await service.expire_silence(
        session=session, silence_id=silence_id, actor=actor_of(x_actor), now=now
    )
    await session.commit()
    await _changed(request)
    return service.silence_read(row, now=now)


# ------------------------------------------------------------------ maintenance windows
@router.post("/api/v1/maintenance-windows", status_code=201)
async def create_window(
    body: WindowCreate,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    x_actor: ActorHeader = None,
) -> WindowRead:
    """During the window the services' (or teams') alerts are stored and shown, but open no
    incident and page nobody."""
    now = clock.now()
    row = await service.create_window(session=session, data=body, actor=actor_of(x_actor), now=now)
    await session.commit()
    await _changed(request)
    return service.window_read(row, now=now)


@router.get("/api/v1/maintenance-windows")
async def list_windows(
    session: SessionDep, clock: ClockDep, limit: Limit = 100, offset: Offset = 0
) -> WindowList:
    now = clock.now()
    rows, total = await service.list_windows(session=session, limit=limit, offset=offset)
    items = [service.window_read(row, now=now) for row in rows]
    return WindowList(items=items, total=total, limit=limit, offset=offset)


@router.get("/api/v1/maintenance-windows/{window_id}", responses=_ERRORS)
async def get_window(window_id: UUID, session: SessionDep, clock: ClockDep) -> WindowRead:
    row = await service.get_window(session=session, window_id=window_id)
    return service.window_read(row, now=clock.now())


@router.put("/api/v1/maintenance-windows/{window_id}", responses=_ERRORS)
async def replace_window(
    window_id: UUID, body: WindowCreate, request: Request, session: SessionDep, clock: ClockDep
) -> WindowRead:
    now = clock.now()
    row = await service.replace_window(session=session, window_id=window_id, data=body, now=now)
    await session.commit()
    await _changed(request)
    return service.window_read(row, now=now)


@router.delete("/api/v1/maintenance-windows/{window_id}", status_code=204, responses=_ERRORS)
async def delete_window(window_id: UUID, request: Request, session: SessionDep) -> Response:
    await service.delete_window(session=session, window_id=window_id)
    await session.commit()
    await _changed(request)
    return Response(status_code=204)
