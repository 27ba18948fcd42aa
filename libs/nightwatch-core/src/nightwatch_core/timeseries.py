"""Time ranges and time buckets of the stats routes (incidents created, alerts received, per
minute / hour / day), shared so that every service answers the same shape with the same limits.

A series is one SQL statement: ``generate_series`` lays out every bucket (so empty buckets are
there, as zeros) and ``date_bin`` counts the rows of the range into them, over an index whose
first column is the timestamp. Buckets are aligned to UTC (a day bucket starts at 00:00 UTC); the
first and last bucket cover only the part of them inside ``[since, until)``, so the buckets' sum is
exactly the count of the range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import asyncpg
from fastapi import Depends, Query
from pydantic import BaseModel

from nightwatch_core.errors import ApiError

Bucket = Literal["minute", "hour", "day"]
BUCKET_STEPS: dict[str, timedelta] = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
# A day of minutes, 60 days of hours: enough for a chart, small enough for one cheap statement.
MAX_BUCKETS = 1_440
DEFAULT_SPAN = timedelta(hours=24)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimeSeriesPoint(BaseModel):
    start: datetime
    count: int


class TimeSeries(BaseModel):
    since: datetime
    until: datetime
    bucket: Bucket
    total: int
    buckets: list[TimeSeriesPoint]


def query_time(name: str, value: datetime | None) -> datetime | None:
    """A query timestamp in UTC (UTC if it has no zone); one PostgreSQL cannot hold is a 422."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ApiError(
            422, f"Invalid request: query.{name}: is out of range once converted to UTC"
        ) from None


@dataclass(frozen=True)
class TimeRange:
    since: datetime | None
    until: datetime | None


def time_range(
    since: Annotated[datetime | None, Query(description="at or after (UTC if no zone)")] = None,
    until: Annotated[datetime | None, Query(description="before (UTC if no zone)")] = None,
) -> TimeRange:
    """The ``since`` / ``until`` query parameters; a reversed or empty range is a 422."""
    start, end = query_time("since", since), query_time("until", until)
    if start is not None and end is not None and start >= end:
        raise ApiError(
            422,
            f"Invalid request: query.since ({start.isoformat()}) must be before "
            f"query.until ({end.isoformat()})",
            details={"since": start.isoformat(), "until": end.isoformat()},
        )
    return TimeRange(start, end)


TimeRangeDep = Annotated[TimeRange, Depends(time_range)]


@dataclass(frozen=True)
class Buckets:
    since: datetime
    until: datetime
    bucket: Bucket
    first: datetime  # the start of the bucket holding ``since``
    count: int

    @property
    def step(self) -> timedelta:
        return BUCKET_STEPS[self.bucket]

    @property
    def last(self) -> datetime:
        return self.first + (self.count - 1) * self.step


def plan_buckets(*, period: TimeRange, bucket: Bucket, now: datetime) -> Buckets:
    """The buckets of a range (default: the 24 hours before ``until``, which defaults to now);
    more than MAX_BUCKETS is a 422 that says how to ask instead."""
    until = period.until or now
    try:
        since = period.since or until - DEFAULT_SPAN
    except OverflowError:  # ``until`` within a day of year 1
        since = until
    if since >= until:  # only a defaulted bound can get here: ``time_range`` checked the rest
        raise ApiError(
            422,
            f"Invalid request: the range [{since.isoformat()}, {until.isoformat()}) is empty; "
            "give both since and until",
        )
    step = BUCKET_STEPS[bucket]
    first = _EPOCH + ((since - _EPOCH) // step) * step
    count = math.ceil((until - first) / step)
    if count > MAX_BUCKETS:
        raise ApiError(
            422,
            f"Invalid request: {since.isoformat()} to {until.isoformat()} is {count} {bucket} "
            f"buckets; at most {MAX_BUCKETS}: use a larger bucket (minute < hour < day) "
            "or a shorter range",
            details={"buckets": count, "max_buckets": MAX_BUCKETS, "bucket": bucket},
        )
    return Buckets(since=since, until=until, bucket=bucket, first=first, count=count)


def series_sql(*, table: str, column: str) -> str:
    """Rows per bucket of ``table`` by ``column``: parameters $1 first bucket, $2 last bucket,
    $3 step, $4 since, $5 until (from ``series_args``)."""
    return f"""
        SELECT b.start, coalesce(c.n, 0) AS count
        FROM generate_series($1::timestamptz, $2::timestamptz, $3::interval) AS b(start)
        LEFT JOIN (
            SELECT date_bin($3::interval, {column}, $1::timestamptz) AS start, count(*) AS n
            FROM {table} WHERE {column} >= $4 AND {column} < $5
            GROUP BY 1
        ) c USING (start)
        ORDER BY b.start
    """  # noqa: S608 - table and column are constants of the caller; values are parameters


async def fetch_series(
    conn: asyncpg.Connection, *, table: str, column: str, plan: Buckets
) -> TimeSeries:
    rows = await conn.fetch(
        series_sql(table=table, column=column),
        plan.first,
        plan.last,
        plan.step,
        plan.since,
        plan.until,
    )
    points = [TimeSeriesPoint(start=row["start"], count=row["count"]) for row in rows]
    return TimeSeries(
        since=plan.since,
        until=plan.until,
        bucket=plan.bucket,
        total=sum(point.count for point in points),
        buckets=points,
    )
