"""``/api/v1/routing-rules``: reading is any role's, changing is admin's (the gateway enforces it),
``POST /api/v1/routing-rules/test`` answers what the rules would do with a sample alert. Thin:
check the team with on-call, call the service, commit, reload this replica's cache (the others
hear the NOTIFY), answer."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.validation import Offset

from nightwatch_ingestion.routing import service
from nightwatch_ingestion.routing.cache import RoutingCache
from nightwatch_ingestion.routing.engine import Rule
from nightwatch_ingestion.routing.schemas import (
    CatchAllRead,
    CatchAllUpdate,
    RoutingHistory,
    RoutingOutcome,
    RoutingTest,
    RuleCreate,
    RuleList,
    RuleOrder,
    RuleRead,
    RuleRef,
)
from nightwatch_ingestion.routing.teams import require_team
from nightwatch_ingestion.suppression.router import ActorHeader, actor_of

log = logging.getLogger("nightwatch.ingestion.routing")
router = APIRouter(prefix="/api/v1/routing-rules", tags=["routing rules"])
_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"description": "Unknown id"},
    422: {"description": "Invalid rule: a matcher, or a team on-call does not know (named)"},
    503: {"description": "on-call could not be asked whether the team exists"},
}


def _cache(request: Request) -> RoutingCache:
    cache: RoutingCache = request.app.state.routing
    return cache


async def _changed(request: Request) -> None:
    app = request.app
    try:
        await _cache(request).reload(app.state.db_pool, oncall=app.state.oncall_client)
    except Exception as exc:  # committed already: the listener and the periodic reload catch up
        log.warning("routing rules not reloaded after a change: %s", exc)


async def _rule_list(request: Request, session: SessionDep, now: datetime) -> RuleList:
    rows = await service.list_rules(session)
    return RuleList(
        items=[service.rule_read(row) for row in rows],
        total=len(rows),
        catch_all=await service.catch_all(session, exists=_cache(request).catch_all_exists),
        unrouted_last_day=await service.unrouted_since(session, now=now),
    )


@router.get("")
async def list_rules(request: Request, session: SessionDep, clock: ClockDep) -> RuleList:
    """The rules in order (first match wins), the catch-all, and how many alerts routed nowhere."""
    return await _rule_list(request, session, clock.now())


@router.post("", status_code=201, responses=_ERRORS)
async def create_rule(
    body: RuleCreate,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    x_actor: ActorHeader = None,
) -> RuleRead:
    if body.set_team:
        await require_team(request.app.state.oncall_client, body.set_team, field="set_team")
    row = await service.create_rule(
        session=session, data=body, actor=actor_of(x_actor), now=clock.now()
    )
    await session.commit()
    await _changed(request)
    return service.rule_read(row)


@router.put("/order", responses=_ERRORS)
async def reorder_rules(
    body: RuleOrder,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    x_actor: ActorHeader = None,
) -> RuleList:
    """Every rule's id in the new order."""
    now = clock.now()
    await service.reorder(session=session, ids=body.ids, actor=actor_of(x_actor), now=now)
    await session.commit()
    await _changed(request)
    return await _rule_list(request, session, now)


@router.put("/catch-all", responses=_ERRORS)
async def set_catch_all(
    body: CatchAllUpdate,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    x_actor: ActorHeader = None,
) -> CatchAllRead:
    """Where alerts go that no label, rule or integration routed (null: they are unrouted)."""
    if body.team is not None:
        await require_team(request.app.state.oncall_client, body.team, field="team")
    await service.set_catch_all(
        session=session, team=body.team, actor=actor_of(x_actor), now=clock.now()
    )
    await session.commit()
    await _changed(request)
    return await service.catch_all(session, exists=_cache(request).catch_all_exists)


@router.get("/history")
async def routing_history(
    session: SessionDep,
    rule_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> RoutingHistory:
    """Who changed what, when (newest first), for every rule or one: a page
    (docs/architecture.md, "Lists")."""
    items, total = await service.history(
        session=session, rule_id=rule_id, limit=limit, offset=offset
    )
    return RoutingHistory(items=items, total=total, limit=limit, offset=offset)


def _ref(rule: Rule | None) -> RuleRef | None:
    return RuleRef(id=rule.id, name=rule.name) if rule is not None else None


@router.post("/test")
async def test_rules(body: RoutingTest, request: Request, session: SessionDep) -> RoutingOutcome:
    """Which rule a sample alert matches and what it would do (nothing is stored or sent)."""
    table = await service.current_table(session, catch_all_exists=_cache(request).catch_all_exists)
    alert = body.alert
    decision = table.route(
        service=alert.service,
        severity=alert.severity.value,
        labels=alert.labels,
        integration_team=body.integration_team,
    )
    return RoutingOutcome(
        matched=[RuleRef(id=r.id, name=r.name) for r in decision.matched],
        rule=_ref(decision.matched[0] if decision.matched else None),
        team=decision.team,
        routed_by=decision.routed_by,
        unrouted=decision.unrouted,
        severity=decision.severity,  # type: ignore[arg-type]
        labels=decision.labels,
        suppressed=decision.suppressed_by is not None,
        suppressed_by=_ref(decision.suppressed_by),
    )


@router.get("/{rule_id}", responses=_ERRORS)
async def get_rule(rule_id: UUID, session: SessionDep) -> RuleRead:
    return service.rule_read(await service.get_rule(session=session, rule_id=rule_id))


@router.put("/{rule_id}", responses=_ERRORS)
async def replace_rule(
    rule_id: UUID,
    body: RuleCreate,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    x_actor: ActorHeader = None,
) -> RuleRead:
    """The whole rule; ``position`` moves it (omitted: it stays where it is)."""
    await service.get_rule(session=session, rule_id=rule_id)  # 404 before asking on-call
    if body.set_team:
        await require_team(request.app.state.oncall_client, body.set_team, field="set_team")
    row = await service.replace_rule(
        session=session, rule_id=rule_id, data=body, actor=actor_of(x_actor), now=clock.now()
    )
    await session.commit()
    await _changed(request)
    return service.rule_read(row)


@router.delete("/{rule_id}", status_code=204, responses=_ERRORS)
async def delete_rule(
    rule_id: UUID,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    x_actor: ActorHeader = None,
) -> Response:
    await service.delete_rule(
        session=session, rule_id=rule_id, actor=actor_of(x_actor), now=clock.now()
    )
    await session.commit()
    await _changed(request)
    return Response(status_code=204)
