"""When a maintenance window is on: once, or every week at the same wall-clock time in its zone.

A weekly window keeps its local start time and local end time across a DST change (02:00-04:00
Europe/Berlin stays 02:00-04:00 local, so its UTC instants move by an hour), the way calendar
software repeats an event. Occurrences last less than a week (checked when the window is saved).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class Schedule:
    starts_at: datetime
    ends_at: datetime
    recurrence: str  # none | weekly
    time_zone: str
    repeat_until: datetime | None


def _occurrence(schedule: Schedule, week: int) -> tuple[datetime, datetime]:
    zone = ZoneInfo(schedule.time_zone)
    local_start = schedule.starts_at.astimezone(zone).replace(tzinfo=None) + week * WEEK
    local_end = schedule.ends_at.astimezone(zone).replace(tzinfo=None) + week * WEEK
    return (
        local_start.replace(tzinfo=zone).astimezone(UTC),
        local_end.replace(tzinfo=zone).astimezone(UTC),
    )


def _repeats_at(schedule: Schedule, start: datetime) -> bool:
    return schedule.repeat_until is None or start < schedule.repeat_until


def current_or_next(schedule: Schedule, now: datetime) -> tuple[datetime, datetime] | None:
    """The occurrence on at ``now``, else the next one; None when the window is over for good."""
    try:
        return _current_or_next(schedule, now)
    except OverflowError:  # past datetime's range (the API keeps windows within 2000-2999)
        return None


def _current_or_next(schedule: Schedule, now: datetime) -> tuple[datetime, datetime] | None:
    if schedule.recurrence == "none":
        return (schedule.starts_at, schedule.ends_at) if now < schedule.ends_at else None
    zone = ZoneInfo(schedule.time_zone)
    elapsed = now.astimezone(zone).replace(tzinfo=None) - schedule.starts_at.astimezone(
        zone
    ).replace(tzinfo=None)
    week = max(0, elapsed // WEEK - 1)
    for candidate in range(week, week + 3):
        start, end = _occurrence(schedule, candidate)
        if not _repeats_at(schedule, start):
            return None
        if now < end:
            return start, end
    return None  # pragma: no cover - three consecutive weeks always include a future end


def active_at(schedule: Schedule, now: datetime) -> bool:
    found = current_or_next(schedule, now)
    return found is not None and found[0] <= now < found[1]
