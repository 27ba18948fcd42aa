"""Routing rules in PostgreSQL: keyword-only functions taking the session; they flush, never commit
and never call other services (the router checks teams with on-call first).

Every write locks the one settings row first, so concurrent edits are applied one after the other
and positions stay 0..n-1; each write leaves a row in ``routing_changes`` (who, when, before, after).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from nightwatch_core.db import fetch_page
from nightwatch_core.errors import ApiError, NotFound
from nightwatch_core.ids import uuid7
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_ingestion.alerts import models as alert_models
from nightwatch_ingestion.routing import models
from nightwatch_ingestion.routing.cache import rule_of
from nightwatch_ingestion.routing.engine import UNROUTED_TEAM, RoutingTable
from nightwatch_ingestion.routing.schemas import (
    MAX_RULES,
    CatchAllRead,
    RoutingChange,
    RuleCreate,
    RuleRead,
)

rules = models.routing_rules
settings_row = models.routing_settings
changes = models.routing_changes


def rule_read(row: Any) -> RuleRead:
    return RuleRead(
        id=row.id,
        position=row.position,
        name=row.name,
        matchers=list(row.matchers),
        set_team=row.set_team,
        set_severity=row.set_severity,
        add_labels=dict(row.add_labels),
        suppress=row.suppress,
        continue_matching=row.continue_matching,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def _snapshot(row: Any) -> dict[str, Any]:
    return rule_read(row).model_dump(mode="json", by_alias=True)


async def _lock(session: AsyncSession) -> Any:
    """The settings row, locked: one routing change at a time."""
    return (await session.execute(select(settings_row).with_for_update())).one()


async def _record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    now: datetime,
    rule_id: uuid.UUID | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    await session.execute(
        changes.insert().values(
            changed_at=now, actor=actor, action=action, rule_id=rule_id, before=before, after=after
        )
    )


async def _ordered_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list(
        (await session.execute(select(rules.c.id).order_by(rules.c.position, rules.c.id))).scalars()
    )


async def _write_order(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """Positions 0..n-1 in this order (one statement, at most MAX_RULES rows)."""
    if not ids:
        return
    await session.execute(
        update(rules)
        .where(rules.c.id == bindparam("rule_id"))
        .values(position=bindparam("new_position")),
        [{"rule_id": rule_id, "new_position": n} for n, rule_id in enumerate(ids)],
    )


async def list_rules(session: AsyncSession) -> list[Any]:
    return list((await session.execute(select(rules).order_by(rules.c.position, rules.c.id))).all())


async def get_rule(*, session: AsyncSession, rule_id: uuid.UUID) -> Any:
    row = (await session.execute(select(rules).where(rules.c.id == rule_id))).first()
    if row is None:
        raise NotFound("Routing rule", rule_id)
    return row


def _values(data: RuleCreate) -> dict[str, Any]:
    return {
        "name": data.name,
        "matchers": data.matchers,
        "set_team": data.set_team,
        "set_severity": data.set_severity.value if data.set_severity else None,
        "add_labels": data.add_labels,
        "suppress": data.suppress,
        "continue_matching": data.continue_matching,
    }


async def create_rule(*, session: AsyncSession, data: RuleCreate, actor: str, now: datetime) -> Any:
    await _lock(session)
    ids = await _ordered_ids(session)
    if len(ids) >= MAX_RULES:
        raise ApiError(422, f"At most {MAX_RULES} routing rules: merge or delete some first")
    rule_id = uuid7()
    await session.execute(
        rules.insert().values(
            id=rule_id,
            position=len(ids),
            created_by=actor,
            created_at=now,
            updated_by=actor,
            updated_at=now,
            **_values(data),
        )
    )
    position = len(ids) if data.position is None else min(data.position, len(ids))
    ids.insert(position, rule_id)
    await _write_order(session, ids)
    row = await get_rule(session=session, rule_id=rule_id)
    await _record(
        session, actor=actor, action="created", now=now, rule_id=rule_id, after=_snapshot(row)
    )
    return row


async def replace_rule(
    *, session: AsyncSession, rule_id: uuid.UUID, data: RuleCreate, actor: str, now: datetime
) -> Any:
    await _lock(session)
    before = await get_rule(session=session, rule_id=rule_id)
    await session.execute(
        rules.update()
        .where(rules.c.id == rule_id)
        .values(updated_by=actor, updated_at=now, **_values(data))
    )
    if data.position is not None and data.position != before.position:
        ids = [i for i in await _ordered_ids(session) if i != rule_id]
        ids.insert(min(data.position, len(ids)), rule_id)
        await _write_order(session, ids)
    row = await get_rule(session=session, rule_id=rule_id)
    await _record(
        session,
        actor=actor,
        action="updated",
        now=now,
        rule_id=rule_id,
        before=_snapshot(before),
        after=_snapshot(row),
    )
    return row


async def delete_rule(
    *, session: AsyncSession, rule_id: uuid.UUID, actor: str, now: datetime
) -> None:
    await _lock(session)
    before = await get_rule(session=session, rule_id=rule_id)
    await session.execute(rules.delete().where(rules.c.id == rule_id))
    await _write_order(session, await _ordered_ids(session))
    await _record(
        session, actor=actor, action="deleted", now=now, rule_id=rule_id, before=_snapshot(before)
    )


async def reorder(
    *, session: AsyncSession, ids: list[uuid.UUID], actor: str, now: datetime
) -> None:
    await _lock(session)
    current = await _ordered_ids(session)
    if len(ids) != len(set(ids)) or set(ids) != set(current):
        raise ApiError(
            422,
            "Invalid request: body.ids: list every routing rule's id exactly once "
            f"({len(current)} rules; GET /api/v1/routing-rules lists them)",
        )
    await _write_order(session, ids)
    await _record(
        session,
        actor=actor,
        action="reordered",
        now=now,
        before=[str(i) for i in current],
        after=[str(i) for i in ids],
    )


async def catch_all(session: AsyncSession, *, exists: bool | None) -> CatchAllRead:
    row = (await session.execute(select(settings_row))).one()
    return CatchAllRead(
        team=row.catch_all_team,
        exists=exists if row.catch_all_team is not None else None,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


async def set_catch_all(
    *, session: AsyncSession, team: str | None, actor: str, now: datetime
) -> None:
    before = await _lock(session)
    await session.execute(
        settings_row.update().values(catch_all_team=team, updated_by=actor, updated_at=now)
    )
    await _record(
        session,
        actor=actor,
        action="catch_all",
        now=now,
        before={"team": before.catch_all_team},
        after={"team": team},
    )


async def history(
    *, session: AsyncSession, rule_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[RoutingChange], int]:
    query = select(changes).order_by(changes.c.id.desc())
    if rule_id is not None:
        query = query.where(changes.c.rule_id == rule_id)
    rows, total = await fetch_page(session, query, limit=limit, offset=offset)
    return [
        RoutingChange(
            id=row.id,
            changed_at=row.changed_at,
            actor=row.actor,
            action=row.action,
            rule_id=row.rule_id,
            before=row.before,
            after=row.after,
        )
        for row in rows
    ], total


async def unrouted_since(session: AsyncSession, *, now: datetime) -> int:
    """Alerts that routed nowhere in the last day (the partial index alerts_unrouted_idx)."""
    alerts = alert_models.alerts
    count = await session.scalar(
        select(func.count())
        .select_from(alerts)
        .where(alerts.c.team == UNROUTED_TEAM, alerts.c.received_at >= now - timedelta(days=1))
    )
    return int(count or 0)


async def current_table(session: AsyncSession, *, catch_all_exists: bool | None) -> RoutingTable:
    """The rules as committed now (the try-it box reads them, not a replica's cache)."""
    rows = (await session.execute(select(rules).order_by(rules.c.position, rules.c.id))).all()
    team = (await session.execute(select(settings_row.c.catch_all_team))).scalar_one()
    return RoutingTable(
        [rule_of(row._mapping) for row in rows],
        catch_all_team=team if catch_all_exists is not False else None,
    )
