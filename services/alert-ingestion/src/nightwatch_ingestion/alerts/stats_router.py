"""Alert stats for the dashboard: GET /api/v1/alerts/stats/timeseries and /top-services.

A module of its own (not router.py): the alert routes change for other reasons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from nightwatch_core.clock import ClockDep
from nightwatch_core.timeseries import Bucket, TimeRangeDep, TimeSeries, fetch_series, plan_buckets

from nightwatch_ingestion.alerts import stats

router = APIRouter(prefix="/api/v1/alerts/stats", tags=["alerts"])

MAX_SERVICES = 100
_422: dict[int | str, dict[str, Any]] = {422: {"description": "Invalid input (common error body)"}}


@router.get("/timeseries", responses=_422, summary="Alerts received per bucket")
async def alerts_timeseries(
    request: Request, clock: ClockDep, period: TimeRangeDep, bucket: Bucket = "hour"
) -> TimeSeries:
    """Every alert stored (duplicates included), by when it was received; every bucket present
    (zeros included), oldest first; default range: the 24 hours before `until` (default: now);
    at most 1,440 buckets."""
    plan = plan_buckets(period=period, bucket=bucket, now=clock.now())
    async with request.app.state.db_pool.acquire() as conn:
        return await fetch_series(conn, table=stats.TABLE, column=stats.COLUMN, plan=plan)


@router.get("/top-services", responses=_422, summary="The services that sent the most alerts")
async def top_services(
    request: Request,
    period: TimeRangeDep,
    limit: Annotated[int, Query(ge=1, le=MAX_SERVICES)] = 10,
) -> stats.TopServices:
    """Alerts received per service in the range (default: all time), most first."""
    async with request.app.state.db_pool.acquire() as conn:
        return await stats.top_services(conn, since=period.since, until=period.until, limit=limit)
