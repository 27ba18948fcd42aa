"""Silence and maintenance window bodies (``/api/v1/silences``, ``/api/v1/maintenance-windows``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nightwatch_core.validation import Page, UtcDatetime, storable, stripped
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from nightwatch_ingestion import matchers
from nightwatch_ingestion.alerts.schemas import ServiceName

MAX_MATCHERS = 32
MAX_TARGETS = 100
MAX_RANGE = timedelta(days=366)


def _matcher(text: str) -> str:
    try:
        return str(matchers.parse(storable(text)))
    except matchers.MatcherError as exc:
        raise ValueError(f"invalid matcher {exc}") from None


def _not_everything(texts: list[str]) -> list[str]:
    # Alertmanager's rule: a silence must not match every alert by accident.
    if all(matchers.parse(text).matches("") for text in texts):
        raise ValueError(
            "at least one matcher must not match the empty string (as in Alertmanager): "
            'e.g. service="checkout"'
        )
    return texts


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'"
        ) from None
    return name


def _plausible(moment: datetime) -> datetime:
    # Weekly occurrences are computed in local time: keep them far from datetime's limits.
    if not 2000 <= moment.year <= 2999:
        raise ValueError("must be between the years 2000 and 2999")
    return moment


WindowTime = Annotated[UtcDatetime, AfterValidator(_plausible)]
MatcherText = Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_matcher)]
Comment = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(stripped)]
WindowName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(stripped)]
TeamName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(stripped)]
TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_zone)]


class Lifecycle(StrEnum):
    pending = "pending"
    active = "active"
    expired = "expired"


class SilenceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "matchers": ['service="checkout"', 'severity=~"medium|low"'],
                    "ends_at": "2026-02-09T18:00:00Z",
                    "comment": "Deploying checkout v2; known noisy",
                }
            ]
        },
    )

    matchers: Annotated[
        list[MatcherText],
        Field(min_length=1, max_length=MAX_MATCHERS),
        AfterValidator(_not_everything),
    ] = Field(
        description='Alertmanager matchers, all must match: name="v", name!="v", '
        'name=~"regex", name!~"regex" (regexes fully anchored; a missing label is ""). '
        "An alert's labels plus service, severity and team."
    )
    starts_at: UtcDatetime | None = Field(default=None, description="default: now")
    ends_at: UtcDatetime
    comment: Comment

    @model_validator(mode="after")
    def _range(self) -> SilenceCreate:
        if self.starts_at is not None:
            if self.ends_at <= self.starts_at:
                raise ValueError("ends_at must be after starts_at")
            if self.ends_at - self.starts_at > MAX_RANGE:
                raise ValueError("a silence lasts at most 366 days")
        return self


class SilenceRead(BaseModel):
    id: UUID
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    updated_at: datetime
    expired_by: str | None
    status: Lifecycle = Field(description="pending (starts later), active, or expired")


class SilenceList(Page[SilenceRead]):
    """docs/architecture.md, "Lists"."""


class Recurrence(StrEnum):
    none = "none"
    weekly = "weekly"


class WindowCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Database patching",
                    "services": ["orders-db", "orders-api"],
                    "starts_at": "2026-03-28T01:00:00Z",
                    "ends_at": "2026-03-28T03:00:00Z",
                    "recurrence": "weekly",
                    "time_zone": "Europe/Berlin",
                }
            ]
        },
    )

    name: WindowName
    services: list[ServiceName] = Field(default_factory=list, max_length=MAX_TARGETS)
    teams: list[TeamName] = Field(default_factory=list, max_length=MAX_TARGETS)
    starts_at: WindowTime
    ends_at: WindowTime
    recurrence: Recurrence = Recurrence.none
    time_zone: TimeZoneName = Field(
        default="UTC", description="weekly windows repeat at the same wall-clock time here"
    )
    repeat_until: WindowTime | None = Field(
        default=None, description="weekly: no occurrence starts at or after this"
    )

    @model_validator(mode="after")
    def _valid(self) -> WindowCreate:
        if not self.services and not self.teams:
            raise ValueError("name at least one service or team")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.recurrence is Recurrence.weekly and self.ends_at - self.starts_at >= timedelta(
            weeks=1
        ):
            raise ValueError("a weekly window lasts less than a week")
        if self.ends_at - self.starts_at > MAX_RANGE:
            raise ValueError("a window lasts at most 366 days")
        return self


class WindowRead(BaseModel):
    id: UUID
    name: str
    services: list[str]
    teams: list[str]
    starts_at: datetime
    ends_at: datetime
    recurrence: Recurrence
    time_zone: str
    repeat_until: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    status: Lifecycle = Field(description="pending, active (an occurrence is on now) or expired")
    next_start: datetime | None = Field(description="the occurrence on now, else the next one")
    next_end: datetime | None


class WindowList(Page[WindowRead]):
    """docs/architecture.md, "Lists"."""
