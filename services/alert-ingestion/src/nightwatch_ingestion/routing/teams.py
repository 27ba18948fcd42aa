"""Does a team exist? Asked of on-call (it owns teams) over HTTP, when a rule or the catch-all is
saved and when a replica loads the catch-all: alerts are never routed to a team nobody can be on."""

from __future__ import annotations

import logging
from urllib.parse import quote

from nightwatch_core.errors import ApiError
from nightwatch_core.http_client import ServiceClient

log = logging.getLogger("nightwatch.ingestion.routing")


async def team_exists(client: ServiceClient, team: str) -> bool | None:
    """True or False as on-call answers; None when it cannot answer now."""
    try:
        response = await client.get(f"/api/v1/teams/{quote(team, safe='')}")
    except Exception as exc:  # transport errors and timeouts: on-call is down or slow
        log.warning("on-call not reachable to check team %r: %s", team, exc)
        return None
    if response.status_code == 200:
        return True
    if response.status_code == 404:
        return False
    log.warning("on-call answered HTTP %s checking team %r", response.status_code, team)
    return None


async def require_team(client: ServiceClient, team: str, *, field: str) -> None:
    """422 naming the team when on-call does not know it; 503 when on-call cannot say."""
    exists = await team_exists(client, team)
    if exists is False:
        raise ApiError(
            422,
            f"Invalid request: body.{field}: team {team!r} does not exist in on-call; "
            "create it first (POST /api/v1/teams) or choose an existing team",
        )
    if exists is None:
        raise ApiError(
            503,
            f"Cannot check team {team!r}: on-call is unreachable; try again shortly",
            headers={"Retry-After": "5"},
        )
