"""Existing deployments: a ``SERVICE_TEAM_MAP`` (and a ``DEFAULT_TEAM``) still set at startup is
turned into routing rules once, appended after the rules there are (one ``service="..."`` rule per
entry, in the map's order) with the default team as catch-all when there is none, recorded in the
history (actor ``SERVICE_TEAM_MAP``) and logged. Later starts with the same settings change
nothing; edit the rules from then on, and remove the settings.

The teams are not checked with on-call here (it may still be starting): the catch-all is checked
when the cache loads, and a rule's team that does not exist gives incidents nobody is paged for,
which the console shows.
"""

from __future__ import annotations

import logging
from datetime import datetime

import asyncpg
import orjson
from nightwatch_core.ids import uuid7

from nightwatch_ingestion.matchers import Matcher, Operator

log = logging.getLogger("nightwatch.ingestion.routing")

ACTOR = "SERVICE_TEAM_MAP"

_LOCK = (
    "SELECT catch_all_team, service_team_map_imported_at FROM ingestion.routing_settings FOR UPDATE"
)
_NEXT_POSITION = "SELECT coalesce(max(position) + 1, 0) FROM ingestion.routing_rules"
_INSERT_RULE = """
    INSERT INTO ingestion.routing_rules (id, position, name, matchers, set_team, created_by,
                                         created_at, updated_by, updated_at)
    VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $6, $7)
"""
_SET_CATCH_ALL = """
    UPDATE ingestion.routing_settings SET catch_all_team = $1, updated_by = $2, updated_at = $3
"""
_MARK_IMPORTED = "UPDATE ingestion.routing_settings SET service_team_map_imported_at = $1"
_RECORD = """
    INSERT INTO ingestion.routing_changes (changed_at, actor, action, rule_id, after)
    VALUES ($1, $2, 'imported', $3, $4::jsonb)
"""


async def import_service_team_map(
    pool: asyncpg.Pool,
    *,
    service_team_map: dict[str, str],
    default_team: str | None,
    now: datetime,
) -> int:
    """Rules made (0: nothing to import, or imported before). Replicas starting together: the
    locked settings row lets one import."""
    if not service_team_map and not default_team:
        return 0
    async with pool.acquire() as conn, conn.transaction():
        settings = await conn.fetchrow(_LOCK)
        if settings["service_team_map_imported_at"] is not None:
            return 0
        position = await conn.fetchval(_NEXT_POSITION)
        for service, team in service_team_map.items():
            rule_id = uuid7()
            matcher = str(Matcher.build("service", Operator.equal, service))
            name = f"service {service} (SERVICE_TEAM_MAP)"[:200]
            await conn.execute(
                _INSERT_RULE,
                rule_id,
                position,
                name,
                orjson.dumps([matcher]).decode(),
                team,
                ACTOR,
                now,
            )
            after = {"name": name, "matchers": [matcher], "set_team": team}
            await conn.execute(_RECORD, now, ACTOR, rule_id, orjson.dumps(after).decode())
            position += 1
        if default_team and settings["catch_all_team"] is None:
            await conn.execute(_SET_CATCH_ALL, default_team, ACTOR, now)
            await conn.execute(
                _RECORD, now, ACTOR, None, orjson.dumps({"team": default_team}).decode()
            )
        await conn.execute(_MARK_IMPORTED, now)
    log.warning(
        "SERVICE_TEAM_MAP / DEFAULT_TEAM imported once as %d routing rules%s; manage routing "
        "with /api/v1/routing-rules (or the console) and remove these settings",
        len(service_team_map),
        f" and the catch-all team {default_team!r}" if default_team else "",
    )
    return len(service_team_map)
