"""Request and response bodies of schedules, layers, overrides, shifts and who is on call."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from nightwatch_core.validation import as_utc
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from nightwatch_oncall.people.schemas import ContactableUser
from nightwatch_oncall.validation import Description, Name, TeamRef, TimezoneName

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RotationType = Literal["hourly", "daily", "weekly"]
# Earliest and latest instants the API reasons about; keeps date arithmetic far from overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

ClockTime = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    Field(
        description="Local wall-clock time HH:MM in the schedule's time zone", examples=["09:00"]
    ),
]
ClockTimeOrMidnight = Annotated[
    str,
    StringConstraints(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"),
    Field(description="HH:MM, or 24:00 for the end of the day", examples=["17:00"]),
]


def _in_range(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError("must be between 1970-01-01 and 2199-12-31")
    return value


def _instant(value: datetime) -> datetime:
    value = as_utc(value)
    if not EARLIEST <= value < LATEST:
        raise ValueError("must be between 1970 and 2199")
    return value


BoundedDate = Annotated[date, AfterValidator(_in_range)]
Instant = Annotated[
    datetime,
    AfterValidator(_instant),
    Field(description="ISO 8601 instant; without an offset it is taken as UTC"),
]


class RestrictionIn(BaseModel):
    """On each listed day, the layer is active from ``start`` to ``end`` (schedule-local).
    An ``end`` before ``start`` runs overnight into the next day, e.g. 17:00-09:00."""

    days: list[Weekday] = Field(min_length=1, max_length=7)
    start: ClockTime
    end: ClockTimeOrMidnight

    @model_validator(mode="after")
    def _not_empty(self) -> RestrictionIn:
        if self.start == self.end:
            raise ValueError("start and end must differ (00:00-24:00 is the whole day)")
        if len(set(self.days)) != len(self.days):
            raise ValueError("days must not repeat")
        return self


class LayerIn(BaseModel):
    name: Name | None = Field(default=None, description='Defaults to "Layer N"')
    participants: list[uuid.UUID] = Field(
        min_length=1, max_length=200, description="User ids in rotation order; may repeat"
    )
    rotation_type: RotationType
    shift_length: int = Field(
        default=1, ge=1, le=1000, description="How many hours/days/weeks one shift lasts"
    )
    start_date: BoundedDate = Field(description="Local date of the first handoff")
    handoff_time: ClockTime = "09:00"
    restrictions: list[RestrictionIn] = Field(default_factory=list, max_length=28)


class ScheduleCreate(BaseModel):
    name: Name
    description: Description = ""
    team: TeamRef = Field(description="The owning team's name or id")
    timezone: TimezoneName = "UTC"
    layers: list[LayerIn] = Field(
        min_length=1,
        max_length=20,
        description="layers[0] is layer 1; a higher layer wins where it has someone on call",
    )


class ScheduleUpdate(BaseModel):
    """Only the fields sent change; ``layers``, when sent, replaces every layer."""

    name: Name | None = None
    description: Description | None = None
    timezone: TimezoneName | None = None
    layers: list[LayerIn] | None = Field(default=None, min_length=1, max_length=20)


class SchedulePreviewIn(BaseModel):
    """An unsaved schedule's rotation, to see its shifts before saving (no team, no overrides)."""

    timezone: TimezoneName = "UTC"
    layers: list[LayerIn] = Field(min_length=1, max_length=20)
    start: Instant | None = Field(default=None, alias="from", description="Default now")
    end: Instant | None = Field(default=None, alias="to", description="Default from + 14 days")


class UserBrief(BaseModel):
    id: uuid.UUID
    name: str
    email: str


class TeamBrief(BaseModel):
    id: uuid.UUID
    name: str


class ScheduleBrief(BaseModel):
    id: uuid.UUID
    name: str


class RestrictionRead(BaseModel):
    days: list[Weekday]
    start: str
    end: str


class LayerRead(BaseModel):
    id: uuid.UUID
    level: int
    name: str
    participants: list[UserBrief]
    rotation_type: RotationType
    shift_length: int
    start_date: date
    handoff_time: str
    restrictions: list[RestrictionRead]


class ScheduleRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    team: TeamBrief
    timezone: str
    layers: list[LayerRead]
    ical_url: str = Field(
        description="Secret calendar URL (path) to subscribe to: no login needed, keep it private"
    )
    created_at: datetime
    updated_at: datetime


class OverrideCreate(BaseModel):
    user_id: uuid.UUID
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> OverrideCreate:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class OverrideRead(BaseModel):
    id: uuid.UUID
    schedule_id: uuid.UUID
    user: UserBrief
    start: datetime
    end: datetime
    created_at: datetime


Source = Literal["layer", "override"]


class ShiftRead(BaseModel):
    start: datetime
    end: datetime
    user: UserBrief
    source: Source
    layer_id: uuid.UUID | None = None
    layer_name: str | None = None
    layer_level: int | None = None
    override_id: uuid.UUID | None = None


class UserShiftRead(ShiftRead):
    """A shift of one person, in any schedule."""

    schedule_id: uuid.UUID
    schedule_name: str
    team: TeamBrief


class Gap(BaseModel):
    start: datetime
    end: datetime


class ShiftList(BaseModel):
    schedule_id: uuid.UUID
    timezone: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    shifts: list[ShiftRead]
    gaps: list[Gap] = Field(description="Ranges where nobody is on call")


class ShiftPreview(BaseModel):
    """The shifts an unsaved schedule would produce; ``layer_id`` is always null (no layer is
    stored yet), ``layer_level`` and ``layer_name`` say which layer of the body made each."""

    timezone: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    shifts: list[ShiftRead]
    gaps: list[Gap]


class OnCallEntry(BaseModel):
    """One person on call, and what put them there."""

    user: ContactableUser
    schedule_id: uuid.UUID
    schedule_name: str
    source: Source
    layer_id: uuid.UUID | None = None
    layer_name: str | None = None
    layer_level: int | None = None
    override_id: uuid.UUID | None = None
    shift_start: datetime | None = Field(description="None: more than 35 days before `at`")
    shift_end: datetime | None = Field(description="None: more than 35 days after `at`")


class OnCallAnswer(BaseModel):
    """Who is on call for a team (one entry per schedule that has someone) at ``at``."""

    team: TeamBrief
    at: datetime
    oncall: list[OnCallEntry]
    nobody_on_call: bool
    schedules_without_oncall: list[ScheduleBrief] = Field(
        default_factory=list, description="The team's schedules that have a gap at `at`"
    )
    message: str


def weekday_numbers(days: list[Weekday]) -> list[int]:
    return sorted(WEEKDAYS.index(day) for day in days)
