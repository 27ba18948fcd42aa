"""Routes: POST/GET /api/v1/alerts, GET /api/v1/alerts/{id}."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Request, Response
from nightwatch_core.db import SessionDep
from nightwatch_core.validation import as_utc, checked_query, reject_nul

from nightwatch_ingestion.alerts import intake, service
from nightwatch_ingestion.alerts.schemas import (
    AlertAccepted,
    AlertBatch,
    AlertCreate,
    AlertPage,
    AlertRead,
    BatchAccepted,
    Severity,
)

# A body without a content type is read as JSON, as the fast lane (intake.py) reads it: monitoring
# tools that post bare JSON keep working, and lane and route answer alike (test_intake_lane.py).
router = APIRouter(tags=["alerts"], strict_content_type=False)

_ACCEPT_RESPONSES: dict[int | str, dict[str, object]] = {
    201: {"description": "Stored and linked to its incident"},
    202: {
        "description": "Stored; linking to an incident is pending (incident-management is "
        "down or slow): the link worker finishes it"
    },
}


@router.post(
    "/api/v1/alerts",
    status_code=201,
    response_model=AlertAccepted | BatchAccepted,
    responses=_ACCEPT_RESPONSES,
    summary="Accept one alert, or a JSON array of up to 1000",
)
async def post_alerts(
    request: Request,
    body: Annotated[AlertCreate | AlertBatch, Body()],
) -> AlertAccepted | BatchAccepted:
    # Requests normally take the fast lane (intake.py); this route serves the ones it hands back
    # and documents the contract in the OpenAPI.
    status, answer = await intake.accept(request.app, body)
    # Serialised by pydantic-core directly: skips FastAPI's response re-validation.
    return Response(answer, status_code=status, media_type="application/json")  # type: ignore[return-value]


@router.get("/api/v1/alerts", summary="List alerts, newest first")
async def get_alerts(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size (1-500)")] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor")] = None,
    service_name: Annotated[str | None, Query(alias="service", max_length=200)] = None,
    severity: Severity | None = None,
    incident_id: UUID | None = None,
    since: Annotated[
        datetime | None, Query(description="received at or after (UTC if no zone)")
    ] = None,
    until: Annotated[datetime | None, Query(description="received before (UTC if no zone)")] = None,
    unrouted: Annotated[
        bool, Query(description="only alerts no label, routing rule or catch-all gave a team")
    ] = False,
) -> AlertPage:
    items, next_cursor = await service.list_alerts(
        session,
        limit=limit,
        cursor=checked_query("query.cursor", reject_nul, cursor),
        service=checked_query("query.service", reject_nul, service_name),
        severity=severity.value if severity else None,
        incident_id=incident_id,
        since=checked_query("query.since", as_utc, since),
        until=checked_query("query.until", as_utc, until),
        unrouted=unrouted,
    )
    return AlertPage(items=items, limit=limit, next_cursor=next_cursor)


@router.get("/api/v1/alerts/{alert_id}", summary="One alert")
async def get_alert(alert_id: UUID, session: SessionDep) -> AlertRead:
    return await service.get_alert(session, alert_id=alert_id)
