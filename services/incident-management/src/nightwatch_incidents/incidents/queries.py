"""Read-side queries: the filtered incident list and the stats summary, computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_incidents.incidents.models import Incident
from nightwatch_incidents.incidents.schemas import DurationStats, StatsSummary
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
_SEVERITY_RANK = case(
    {s.value: rank for rank, s in enumerate(Severity)}, value=Incident.severity, else_=99
)
_STATUS_RANK = case(
    {s.value: rank for rank, s in enumerate(Status)}, value=Incident.status, else_=99
)


@dataclass
class IncidentFilters:
    statuses: list[str]
    severities: list[str]
    service: str | None = None
    team: str | None = None
    assignee: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, statement: Select[Any]) -> Select[Any]:
        if self.statuses:
            statement = statement.where(Incident.status.in_(self.statuses))
        if self.severities:
            statement = statement.where(Incident.severity.in_(self.severities))
        if self.service is not None:
            statement = statement.where(Incident.service == self.service)
        if self.team is not None:
            statement = statement.where(Incident.team == self.team)
        if self.assignee is not None:
            statement = statement.where(Incident.assignee == self.assignee)
        if self.since is not None:
            statement = statement.where(Incident.created_at >= self.since)
        if self.until is not None:
            statement = statement.where(Incident.created_at < self.until)
        return statement


def _order(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    # "severity" sorts critical first; "-severity" low first. Status follows the lifecycle.
    column: Any = {
        "created_at": Incident.created_at,
        "updated_at": Incident.updated_at,
        "severity": _SEVERITY_RANK,
        "status": _STATUS_RANK,
    }[key]
    primary = column.desc() if descending else column.asc()
    return [primary, Incident.created_at.desc(), Incident.id]


async def list_incidents(
    *, session: AsyncSession, filters: IncidentFilters, sort: str, limit: int, offset: int
) -> tuple[list[Incident], int]:
    total = await session.scalar(filters.apply(select(func.count()).select_from(Incident)))
    statement = filters.apply(select(Incident)).order_by(*_order(sort)).limit(limit).offset(offset)
    return list(await session.scalars(statement)), int(total or 0)


# One pass over the chosen range; percentile_cont ignores NULLs, so an incident that was never
# acknowledged (resolved straight from open, or still open) does not count towards MTTA.
_DURATIONS_SQL = text(
    """
    WITH scoped AS (
        SELECT extract(epoch FROM acknowledged_at - created_at)::float8 AS mtta,
               extract(epoch FROM resolved_at - created_at)::float8 AS mttr
        FROM incidents.incidents
        WHERE (CAST(:since AS timestamptz) IS NULL OR created_at >= :since)
          AND (CAST(:until AS timestamptz) IS NULL OR created_at < :until)
    )
    SELECT count(mtta) AS mtta_count,
           avg(mtta) AS mtta_mean,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY mtta) AS mtta_p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY mtta) AS mtta_p90,
           count(mttr) AS mttr_count,
           avg(mttr) AS mttr_mean,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY mttr) AS mttr_p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY mttr) AS mttr_p90
    FROM scoped
    """
)

_COUNTS_SQL = text(
    """
    SELECT status, severity, count(*) AS n
    FROM incidents.incidents
    WHERE (CAST(:since AS timestamptz) IS NULL OR created_at >= :since)
      AND (CAST(:until AS timestamptz) IS NULL OR created_at < :until)
    GROUP BY status, severity
    """
)


async def stats_summary(
    *, session: AsyncSession, since: datetime | None, until: datetime | None
) -> StatsSummary:
    params = {"since": since, "until": until}
    by_status = {s: 0 for s in Status}
    by_severity = {s: 0 for s in Severity}
    for row in (await session.execute(_COUNTS_SQL, params)).mappings():
        by_status[Status(row["status"])] += row["n"]
        by_severity[Severity(row["severity"])] += row["n"]
    d = (await session.execute(_DURATIONS_SQL, params)).mappings().one()
    return StatsSummary(
        since=since,
        until=until,
        total=sum(by_status.values()),
        by_status=by_status,
        by_severity=by_severity,
        mtta=DurationStats(
            count=d["mtta_count"],
            mean_seconds=d["mtta_mean"],
            p50_seconds=d["mtta_p50"],
            p90_seconds=d["mtta_p90"],
        ),
        mttr=DurationStats(
            count=d["mttr_count"],
            mean_seconds=d["mttr_mean"],
            p50_seconds=d["mttr_p50"],
            p90_seconds=d["mttr_p90"],
        ),
    )
