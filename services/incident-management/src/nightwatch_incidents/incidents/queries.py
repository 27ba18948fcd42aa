"""Read-side queries: the filtered incident list and the stats summary, each one SQL statement on
the raw asyncpg pool, built from the filters actually given (so the planner sees plain conditions
and can use the indexes of migration 0022), and selecting only the columns the answer shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from nightwatch_incidents.incidents.hot_paths import READ_COLUMNS
from nightwatch_incidents.incidents.schemas import (
    DurationStats,
    GroupStats,
    GroupStatsPage,
    StatsSummary,
)
from nightwatch_incidents.incidents.states import Severity, Status

SortParam = Literal[
    "-created_at",
    "created_at",
    "-updated_at",
    "updated_at",
    "severity",
    "-severity",
    "status",
    "-status",
]


def _rank(column: str, values: type[Severity] | type[Status]) -> str:
    """Literal CASE (no parameters): "severity" sorts critical first, status follows the lifecycle."""
    whens = " ".join(f"WHEN '{member.value}' THEN {rank}" for rank, member in enumerate(values))
    return f"CASE {column} {whens} ELSE 99 END"


_SORT_KEYS = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "severity": _rank("severity", Severity),
    "status": _rank("status", Status),
}


@dataclass
class IncidentFilters:
    statuses: list[str]
    severities: list[str]
    service: str | None = None
    team: str | None = None
    assignee: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page_state: str | None = None

    service_contains: str | None = None
    text: str | None = None

    def where(self, params: list[Any]) -> str:
        """The WHERE clause of the filters given; their values are appended to ``params``."""

        def param(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        conditions = []
        if self.statuses:
            conditions.append(f"status = ANY({param(self.statuses)}::text[])")
        if self.severities:
            conditions.append(f"severity = ANY({param(self.severities)}::text[])")
        for column in ("service", "team", "assignee", "page_state"):
            if (value := getattr(self, column)) is not None:
                conditions.append(f"{column} = {param(value)}")
        if self.service_contains is not None:
            conditions.append(f"service ILIKE {param(like_pattern(self.service_contains))}")
        if self.text is not None:
            conditions.append(
                "incidents.search_text(title, service, description) "
                f"ILIKE {param(like_pattern(self.text))}"
            )
        if self.since is not None:
            conditions.append(f"created_at >= {param(self.since)}")
        if self.until is not None:
            conditions.append(f"created_at < {param(self.until)}")
        return "WHERE " + " AND ".join(conditions) if conditions else ""


def like_pattern(text: str) -> str:
    """A substring match for ILIKE: the person's %, _ and backslash are literal characters
    (a trigram index serves the pattern when pg_trgm is installed: migration 0120)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _order(sort: str) -> str:
    key = _SORT_KEYS[sort.lstrip("-")]
    direction = "DESC" if sort.startswith("-") else "ASC"
    return f"{key} {direction}, created_at DESC, id"


async def list_incidents(
    conn: asyncpg.Connection, *, filters: IncidentFilters, sort: str, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """One page and the total in one statement; the total is there even past the last page.

    The page's ids are chosen first (from an index alone when one covers the filter and the sort:
    migration 0022), and only those rows are read, instead of sorting whole rows."""
    params: list[Any] = [limit, offset]
    where = filters.where(params)
    order = _order(sort)
    rows = await conn.fetch(
        f"""
        SELECT total.n AS total, page.*
        FROM (SELECT count(*) AS n FROM incidents.incidents {where}) total
        LEFT JOIN (
            SELECT {READ_COLUMNS} FROM incidents.incidents
            WHERE id IN (
                SELECT id FROM incidents.incidents {where} ORDER BY {order} LIMIT $1 OFFSET $2
            )
        ) page ON true
        ORDER BY {order}
        """,  # noqa: S608 - built from constants; every value is a parameter
        *params,
    )
    total = int(rows[0]["total"])
    return ([row for row in rows if row["id"] is not None], total)


def _and(where: str, condition: str) -> str:
    return f"{where} AND {condition}" if where else f"WHERE {condition}"


_DURATIONS = (("mtta", "mtta_seconds"), ("mttr", "mttr_seconds"))


def _duration_aggregates(column: str, prefix: str = "") -> str:
    """count / mean / [p50, p90] of a duration (NULLs, not yet reached, are skipped by all three);
    ``percentile_cont`` with an array of fractions sorts once per measure."""
    return (
        f"count({column}) AS {prefix}count, avg({column}) AS {prefix}mean, "
        f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {column}) AS {prefix}p"
    )


def _stats_sql(where: str) -> str:
    """Counts by status and severity, then count / mean / p50 / p90 of each duration, each over
    the range alone (migration 0061: over all incidents, every part is an index-only scan of an
    index made for it; over a time range, of the created_at index that carries the durations)."""
    measures = ",\n".join(
        f"""{name} AS (
            SELECT {_duration_aggregates(column)}
            FROM incidents.incidents {_and(where, f"{column} IS NOT NULL")})"""  # noqa: S608
        for name, column in _DURATIONS
    )
    return f"""
        WITH counts AS (
            SELECT status, severity, count(*) AS n FROM incidents.incidents {where}
            GROUP BY status, severity
        ), nobody AS (
            SELECT count(*) AS n FROM incidents.incidents
            {_and(where, "page_state = 'nobody_paged' AND status <> 'resolved'")}
        ), {measures}
        SELECT (SELECT coalesce(array_agg(status), '{{}}') FROM counts) AS statuses,
               (SELECT coalesce(array_agg(severity), '{{}}') FROM counts) AS severities,
               (SELECT coalesce(array_agg(n), '{{}}') FROM counts) AS counts,
               mtta.count AS mtta_count, mtta.mean AS mtta_mean, mtta.p AS mtta_p,
               mttr.count AS mttr_count, mttr.mean AS mttr_mean, mttr.p AS mttr_p,
               nobody.n AS nobody_paged
        FROM mtta, mttr, nobody
    """  # noqa: S608 - built from constants; every value is a parameter


def _durations(row: asyncpg.Record, name: str) -> DurationStats:
    p50, p90 = row[f"{name}_p"] or (None, None)
    return DurationStats(
        count=row[f"{name}_count"],
        mean_seconds=row[f"{name}_mean"],
        p50_seconds=p50,
        p90_seconds=p90,
    )


async def stats_summary(
    conn: asyncpg.Connection, *, since: datetime | None, until: datetime | None
) -> StatsSummary:
    params: list[Any] = []
    where = IncidentFilters(statuses=[], severities=[], since=since, until=until).where(params)
    row = await conn.fetchrow(_stats_sql(where), *params)
    assert row is not None  # aggregates without GROUP BY always return one row
    by_status = dict.fromkeys(Status, 0)
    by_severity = dict.fromkeys(Severity, 0)
    open_by_severity = dict.fromkeys(Severity, 0)
    for status, severity, count in zip(
        row["statuses"], row["severities"], row["counts"], strict=True
    ):
        by_status[Status(status)] += count
        by_severity[Severity(severity)] += count
        if status != Status.RESOLVED:
            open_by_severity[Severity(severity)] += count
    return StatsSummary(
        since=since,
        until=until,
        total=sum(by_status.values()),
        by_status=by_status,
        by_severity=by_severity,
        open_by_severity=open_by_severity,
        nobody_paged=row["nobody_paged"],
        mtta=_durations(row, "mtta"),
        mttr=_durations(row, "mttr"),
    )


GroupBy = Literal["team", "service"]


async def stats_by_group(
    conn: asyncpg.Connection,
    *,
    by: GroupBy,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> GroupStatsPage:
    """Per team or service: total, unresolved, MTTA / MTTR, the largest groups first. Over all
    incidents an index-only scan of the group's index (migration 0100), which hands the rows over
    already grouped; over a time range, of the created_at index or that one, as the planner
    finds cheaper."""
    params: list[Any] = [limit]
    where = IncidentFilters(statuses=[], severities=[], since=since, until=until).where(params)
    durations = ", ".join(_duration_aggregates(column, f"{name}_") for name, column in _DURATIONS)
    rows = await conn.fetch(
        f"""
        SELECT {by} AS name, count(*) AS total,
               count(*) FILTER (WHERE status <> '{Status.RESOLVED.value}') AS open,
               {durations}, count(*) OVER () AS groups
        FROM incidents.incidents {where}
        GROUP BY {by}
        ORDER BY total DESC, name
        LIMIT $1
        """,  # noqa: S608 - built from constants; every value is a parameter
        *params,
    )
    return GroupStatsPage(
        by=by,
        since=since,
        until=until,
        groups=rows[0]["groups"] if rows else 0,
        items=[
            GroupStats(
                name=row["name"],
                total=row["total"],
                open=row["open"],
                mtta=_durations(row, "mtta"),
                mttr=_durations(row, "mttr"),
            )
            for row in rows
        ],
    )
