"""The inbound endpoints: what monitoring tools post to, each with its integration's key.

``POST /api/v1/integrations/{alertmanager,grafana,generic}`` (key: ``Authorization: Bearer``,
or ``X-Integration-Key`` as the gateway forwards it) and ``POST
/api/v1/integrations/pagerduty/v2/enqueue`` (key: the body's ``routing_key``). The key must be
of an integration of that endpoint's type: a key used on another endpoint is 401, like an
unknown one. Accepted events go the way every alert goes (flows.accept_prepared): placed by
incident-management, stored, or stored as pending for the link worker — nothing accepted is
lost while incident-management is down.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from fastapi import APIRouter, Request, Response

from nightwatch_ingestion.alerts import flows
from nightwatch_ingestion.alerts.fingerprint import scoped
from nightwatch_ingestion.alerts.placement import Origin
from nightwatch_ingestion.integrations.schemas import IntegrationAuth
from nightwatch_ingestion.metrics import count_integration_event
from nightwatch_ingestion.sources import SOURCES
from nightwatch_ingestion.sources.base import InvalidPayload, Source, SourceEvent

log = logging.getLogger("nightwatch.ingestion.integrations")

router = APIRouter(prefix="/api/v1/integrations", tags=["inbound"])

_OUTCOME = {"trigger": "accepted", "resolve": "resolved", "acknowledge": "acknowledged"}
_INBOUND_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Accepted: every alert stored (and placed, or pending: 202)"},
    400: {"description": "Not this tool's payload (common error body)"},
    401: {"description": "Missing key, unknown key, or the key of another integration type"},
}
_WEBHOOK_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _header_key(request: Request) -> str | None:
    forwarded = request.headers.get("x-integration-key")
    if forwarded:
        return forwarded.strip()
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _answer(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def receive(request: Request, source: Source) -> Response:
    app = request.app
    raw = await request.body()
    key = None if source.key_in_body else _header_key(request)
    if not source.key_in_body and key is None:
        count_integration_event(source.type, "unauthorized")
        return _answer(
            *source.unauthorized("Send the integration's key: 'Authorization: Bearer <key>'")
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        count_integration_event(source.type, "invalid")
        return _answer(*source.invalid(InvalidPayload(f"Malformed JSON: {exc}")))
    if source.key_in_body:
        key = source.credential(body)
        if key is None:
            count_integration_event(source.type, "invalid")
            return _answer(
                *source.invalid(
                    InvalidPayload("Event object is invalid", ["'routing_key' is missing"])
                )
            )
    assert key is not None
    integration = await app.state.integration_keys.verify(app.state.db_pool, key)
    if integration is None or integration.type != source.type:
        # The same answer for both: a key is no hint about which endpoint it belongs to.
        count_integration_event(source.type, "unauthorized")
        return _answer(*source.unauthorized(f"Unknown key for the {source.type} endpoint"))
    try:
        events = source.parse(body, integration)
    except InvalidPayload as error:
        count_integration_event(source.type, "invalid")
        await _record(request, integration, Counter({"invalid": 1}))
        return _answer(*source.invalid(error))
    answers = await flows.accept_prepared(app=app, prepared=_prepare(request, integration, events))
    outcomes = Counter(_OUTCOME[event.event] for event in events)
    for outcome, n in outcomes.items():
        count_integration_event(source.type, outcome, n)
    await _record(request, integration, outcomes)
    return _answer(*source.accepted(events, answers))


def _prepare(
    request: Request, integration: IntegrationAuth, events: list[SourceEvent]
) -> list[Any]:
    routing = request.app.state.routing.table
    now = request.app.state.clock.now()
    return [
        flows.prepare(
            event.alert,
            routing=routing,
            now=now,
            origin=Origin(
                source=integration.type,
                integration_id=integration.id,
                actor=integration.actor,
                auto_resolve=integration.auto_resolve,
                default_team=integration.default_team,
                fingerprint=scoped(integration.id, event.dedup_key),
                event=event.event,
                details_json=orjson.dumps(event.details).decode() if event.details else None,
            ),
        )
        for event in events
    ]


async def _record(request: Request, integration: IntegrationAuth, outcomes: Counter[str]) -> None:
    """Last event and counts: shown with the integration; a failure here loses no alert."""
    if not outcomes:
        return
    try:
        async with request.app.state.db_pool.acquire() as conn:
            await record_events(
                conn,
                integration_id=integration.id,
                outcomes=outcomes,
                at=request.app.state.clock.now(),
            )
    except Exception as exc:  # the alerts are stored; the counters are a convenience
        log.warning("could not record integration events: %r", exc)


def _route(source_type: str) -> Any:
    async def inbound(request: Request) -> Response:
        return await receive(request, SOURCES[source_type])

    inbound.__name__ = f"{source_type}_inbound"
    return inbound


# The hot path's one statement about the integration (raw pool, like the alerts it counts).
_RECORD = """
    UPDATE ingestion.integrations SET last_event_at = greatest(last_event_at, $2),
        event_counts = event_counts || (
            SELECT coalesce(jsonb_object_agg(c.outcome,
                       coalesce((event_counts->>c.outcome)::bigint, 0) + c.n), '{}')
            FROM unnest($3::text[], $4::bigint[]) AS c(outcome, n))
    WHERE id = $1
"""


async def record_events(
    conn: asyncpg.Connection,
    *,
    integration_id: uuid.UUID,
    outcomes: Mapping[str, int],
    at: datetime,
) -> None:
    """Last event and counts per outcome (one statement, in its own autocommit)."""
    await conn.execute(
        _RECORD, integration_id, at, list(outcomes), [int(n) for n in outcomes.values()]
    )


# (path, source, summary): one route per inbound format, each answering in its tool's dialect.
_ROUTES = (
    ("/alertmanager", "alertmanager", "Alertmanager webhook (payload version 4)"),
    ("/grafana", "grafana", "Grafana alerting webhook contact point"),
    ("/generic", "generic", "The platform's alert body (service/severity optional)"),
)
for _path, _type, _summary in _ROUTES:
    router.add_api_route(
        _path,
        _route(_type),
        methods=["POST"],
        summary=f"{_summary}; Authorization: Bearer <integration key>",
        responses=_INBOUND_RESPONSES,
        openapi_extra=_WEBHOOK_BODY,
    )
router.add_api_route(
    "/pagerduty/v2/enqueue",
    _route("pagerduty"),
    methods=["POST"],
    summary="PagerDuty Events API v2 (routing_key = the integration key)",
    responses={
        202: {"description": '{"status": "success", "message": "Event processed", "dedup_key"}'},
        400: {"description": '{"status": "invalid event", "message", "errors": [...]}'},
        401: {"description": "Unknown routing_key"},
    },
    openapi_extra=_WEBHOOK_BODY,
)
