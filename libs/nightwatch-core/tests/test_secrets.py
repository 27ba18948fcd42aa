"""The stack's generated secrets when several processes start on a fresh database at once."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from nightwatch_core.secrets import read_or_create


async def _waiting_on_a_lock(observer: asyncpg.Connection, pid: int) -> bool:
    event = await observer.fetchval(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
    )
    return event == "Lock"


async def test_the_loser_of_a_first_start_race_gets_the_winners_secret(database_url: str) -> None:
    """Found with `make up REPLICAS=2`: the second gateway's INSERT waited for the first's and
    did nothing, and its SELECT (same statement, older snapshot) found no row: the secret
    became the string "None", and one replica's logins were refused by the other."""
    name = f"race_{uuid.uuid4().hex[:8]}"
    winner = await asyncpg.connect(database_url)
    loser = await asyncpg.connect(database_url)
    observer = await asyncpg.connect(database_url)
    try:
        transaction = winner.transaction()
        await transaction.start()
        await winner.execute(
            "INSERT INTO platform.secrets (name, value) VALUES ($1, 'the-winners-value-at-least-32-characters')",
            name,
        )
        racing = asyncio.create_task(read_or_create(loser, name))
        # The loser's INSERT blocks on the winner's uncommitted row (an event, bounded).
        loser_pid = loser.get_server_pid()
        for _ in range(500):
            if await _waiting_on_a_lock(observer, loser_pid):
                break
            await asyncio.sleep(0.01)
        assert await _waiting_on_a_lock(observer, loser_pid)
        await transaction.commit()
        assert await asyncio.wait_for(racing, 10) == "the-winners-value-at-least-32-characters"
    finally:
        await observer.execute("DELETE FROM platform.secrets WHERE name = $1", name)
        for connection in (winner, loser, observer):
            await connection.close()
