"""Query plans in tests: is an aggregate served by one index alone?"""

from __future__ import annotations

import asyncpg


async def index_only_plan(pool: asyncpg.Pool, sql: str) -> str:
    """The plan of ``sql`` with sequential and bitmap scans off: it shows an index-only scan only
    if one index holds every column the statement reads (the table's rows are never visited)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute("SET LOCAL enable_bitmapscan = off")
        return "\n".join(row[0] for row in await conn.fetch(f"EXPLAIN {sql}"))
