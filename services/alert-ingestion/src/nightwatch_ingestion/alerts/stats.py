"""The dashboard's alert aggregates, each one SQL statement on the raw asyncpg pool.

Alerts received per bucket count from ``alerts_received_idx`` (received_at, id) alone; the top
services from ``alerts_service_idx`` (service, received_at, id), which holds the rows already
grouped by service with the time to filter on, so neither reads the wide alert rows
(migrations 0010, 0012). No index was added for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, Field

TABLE = "ingestion.alerts"
COLUMN = "received_at"


class ServiceCount(BaseModel):
    name: str
    count: int


class TopServices(BaseModel):
    since: datetime | None
    until: datetime | None
    total: int = Field(description="alerts received in the range, every service")
    services: int = Field(description="how many services sent them (items: the top)")
    items: list[ServiceCount]


async def top_services(
    conn: asyncpg.Connection, *, since: datetime | None, until: datetime | None, limit: int
) -> TopServices:
    params: list[Any] = [limit]
    conditions = []
    for value, condition in ((since, f"{COLUMN} >= $"), (until, f"{COLUMN} < $")):
        if value is not None:
            params.append(value)
            conditions.append(f"{condition}{len(params)}")
    where = "WHERE " + " AND ".join(conditions) if conditions else ""
    rows = await conn.fetch(
        f"""
        SELECT service AS name, count(*) AS count,
               count(*) OVER () AS services, sum(count(*)) OVER () AS total
        FROM {TABLE} {where}
        GROUP BY service
        ORDER BY count DESC, name
        LIMIT $1
        """,  # noqa: S608 - built from constants; every value is a parameter
        *params,
    )
    return TopServices(
        since=since,
        until=until,
        total=int(rows[0]["total"]) if rows else 0,
        services=rows[0]["services"] if rows else 0,
        items=[ServiceCount(name=row["name"], count=row["count"]) for row in rows],
    )
