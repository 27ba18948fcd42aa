"""The routing rules in memory: the alert path asks no database.

Every replica loads the rules and the catch-all at start, again whenever a change is committed
(a trigger sends ``NOTIFY nightwatch_routing``; the replica that made the change also reloads
before it answers), and every ``ROUTING_REFRESH_SECONDS`` in case a notification was missed.
Each load also asks on-call whether the catch-all team exists: a team that does not is not routed
to (its alerts are unrouted, and the log and ``routing_catch_all_valid`` say so).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI

from nightwatch_ingestion import matchers
from nightwatch_ingestion.listening import keep_current
from nightwatch_ingestion.routing.engine import RoutingTable, Rule
from nightwatch_ingestion.routing.teams import team_exists

log = logging.getLogger("nightwatch.ingestion.routing")

CHANNEL = "nightwatch_routing"

LOAD_RULES = """
    SELECT id, name, matchers, set_team, set_severity, add_labels, suppress, continue_matching
    FROM ingestion.routing_rules ORDER BY position, id
"""
LOAD_CATCH_ALL = "SELECT catch_all_team FROM ingestion.routing_settings"


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value  # asyncpg: jsonb as text


def rule_of(row: Any) -> Rule:
    return Rule(
        id=row["id"],
        name=row["name"],
        matchers=tuple(matchers.parse(text) for text in _json(row["matchers"])),
        set_team=row["set_team"],
        set_severity=row["set_severity"],
        add_labels=_json(row["add_labels"]),
        suppress=row["suppress"],
        continue_matching=row["continue_matching"],
    )


class RoutingCache:
    def __init__(self) -> None:
        self.table = RoutingTable()
        self.catch_all_team: str | None = None
        # Whether on-call knows the catch-all team (None: not asked yet, or it could not say).
        self.catch_all_exists: bool | None = None
        self.changed = asyncio.Event()
        self.reloaded = asyncio.Event()  # set after each load (tests wait on it)
        self._started = 0
        self._applied = 0

    async def reload(self, pool: asyncpg.Pool, *, oncall: Any = None) -> None:
        """Read the rules and the catch-all; with ``oncall`` (a client), check the catch-all."""
        self._started += 1
        mine = self._started
        async with pool.acquire() as conn:
            rows = await conn.fetch(LOAD_RULES)
            catch_all = await conn.fetchval(LOAD_CATCH_ALL)
        exists = self.catch_all_exists if catch_all == self.catch_all_team else None
        if catch_all is not None and oncall is not None:
            exists = await team_exists(oncall, catch_all)
            if exists is False:
                log.error(
                    "the catch-all team %r does not exist in on-call: alerts no rule routes "
                    "are unrouted until it is created or the catch-all changed",
                    catch_all,
                )
        if mine < self._applied:
            return  # a reload that started later (and read newer rows) is already in place
        self._applied = mine
        # Swapped whole: an alert routed meanwhile sees the old table or the new one, never half.
        self.table = RoutingTable(
            [rule_of(row) for row in rows],
            catch_all_team=catch_all if exists is not False else None,
        )
        self.catch_all_team = catch_all
        self.catch_all_exists = exists if catch_all is not None else None
        self.reloaded.set()


async def refresh_worker(app: FastAPI) -> None:
    """Keep this replica's rules current: LISTEN for changes, and reload periodically anyway."""
    cache: RoutingCache = app.state.routing
    await keep_current(
        app,
        channel=CHANNEL,
        changed=cache.changed,
        reload=lambda: cache.reload(app.state.db_pool, oncall=app.state.oncall_client),
        every=app.state.settings.routing_refresh_seconds,
        what="routing rules",
    )
