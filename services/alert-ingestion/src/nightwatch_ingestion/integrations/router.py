"""``/api/v1/integrations`` (admin, enforced by the gateway): create, list, read, change, delete,
rotate the key. Thin: parse, call the service, commit, answer."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.validation import Limit, Offset

from nightwatch_ingestion.integrations import service
from nightwatch_ingestion.integrations.schemas import (
    IntegrationCreate,
    IntegrationList,
    IntegrationRead,
    IntegrationUpdate,
    IntegrationWithKey,
)

router = APIRouter(prefix="/api/v1/integrations", tags=["integrations"])
_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"description": "Unknown integration"},
    409: {"description": "The name is taken"},
}


def _base(request: Request) -> str:
    return str(request.app.state.settings.public_base_url)


def _changed(request: Request) -> None:
    # An edit, rotation or deletion applies at once on this replica's inbound path.
    request.app.state.integration_keys.forget_all()


@router.post("", status_code=201, responses=_ERRORS)
async def create_integration(
    body: IntegrationCreate, request: Request, session: SessionDep, clock: ClockDep
) -> IntegrationWithKey:
    """Create an integration; the answer carries its key (shown this once) and the snippet."""
    row, key = await service.create(session=session, data=body, now=clock.now())
    await session.commit()
    return service.with_key(service.to_read(row, public_base_url=_base(request)), key)


@router.get("")
async def list_integrations(
    request: Request, session: SessionDep, limit: Limit = 500, offset: Offset = 0
) -> IntegrationList:
    rows, total = await service.list_page(session=session, limit=limit, offset=offset)
    items = [service.to_read(row, public_base_url=_base(request)) for row in rows]
    return IntegrationList(items=items, total=total, limit=limit, offset=offset)


@router.get("/{integration_id}", responses=_ERRORS)
async def get_integration(
    integration_id: UUID, request: Request, session: SessionDep
) -> IntegrationRead:
    row = await service.get(session=session, integration_id=integration_id)
    return service.to_read(row, public_base_url=_base(request))


@router.patch("/{integration_id}", responses=_ERRORS)
async def update_integration(
    integration_id: UUID,
    body: IntegrationUpdate,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
) -> IntegrationRead:
    row = await service.change(
        session=session, integration_id=integration_id, data=body, now=clock.now()
    )
    await session.commit()
    _changed(request)
    return service.to_read(row, public_base_url=_base(request))


@router.delete("/{integration_id}", status_code=204, responses=_ERRORS)
async def delete_integration(
    integration_id: UUID, request: Request, session: SessionDep
) -> Response:
    """Its key stops working; the alerts it sent stay."""
    await service.remove(session=session, integration_id=integration_id)
    await session.commit()
    _changed(request)
    return Response(status_code=204)


@router.post("/{integration_id}/rotate-key", responses=_ERRORS)
async def rotate_integration_key(
    integration_id: UUID, request: Request, session: SessionDep, clock: ClockDep
) -> IntegrationWithKey:
    """A new key (shown this once); the old one stops working."""
    row, key = await service.rotate_key(
        session=session, integration_id=integration_id, now=clock.now()
    )
    await session.commit()
    _changed(request)
    return service.with_key(service.to_read(row, public_base_url=_base(request)), key)
