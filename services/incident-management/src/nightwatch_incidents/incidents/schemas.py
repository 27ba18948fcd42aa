"""Request and response bodies. Text limits (documented in docs/incidents.md) are enforced here,
before anything reaches PostgreSQL; NUL characters, which PostgreSQL cannot store, are a 422."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from nightwatch_core.validation import CursorPage, reject_nul
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from nightwatch_incidents.incidents.page_state import PageState
from nightwatch_incidents.incidents.states import Severity, Status

TITLE_MAX = 500
SERVICE_MAX = 200
DESCRIPTION_MAX = 100_000
TEAM_MAX = 200
PERSON_MAX = 200
NOTE_MAX = 10_000


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
    AfterValidator(reject_nul),
]
ServiceName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=SERVICE_MAX),
    AfterValidator(reject_nul),
]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX),
    AfterValidator(reject_nul),
]
Team = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TEAM_MAX),
    AfterValidator(reject_nul),
]
Person = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=PERSON_MAX),
    AfterValidator(reject_nul),
]
NoteText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_MAX),
    AfterValidator(reject_nul),
]


class IncidentCreate(BaseModel):
    title: Title
    service: ServiceName
    severity: Severity
    description: Description = ""
    team: Team | None = Field(default=None, description="Default: the DEFAULT_TEAM setting")
    assignee: Person | None = None


class IncidentUpdate(BaseModel):
    """Any of: a status change, a new assignee (null unassigns), a note (`notes` or `note`)."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    assignee: Person | None = None
    notes: NoteText | None = Field(default=None, validation_alias=AliasChoices("notes", "note"))

    @model_validator(mode="after")
    def _something_to_change(self) -> IncidentUpdate:
        if not self.model_fields_set:
            raise ValueError("nothing to change: send status, assignee and/or notes")
        if "status" in self.model_fields_set and self.status is None:
            raise ValueError("status cannot be null")
        return self


class IncidentRead(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    service: str
    severity: Severity
    status: Status
    team: str | None
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    acknowledged_by: str | None
    resolved_by: str | None
    alert_count: int
    duplicate_count: int
    page_state: PageState = Field(
        description="whether the escalation paged anyone: `pending` (no outcome yet), `paged` "
        "(a page reached the notification service), `nobody_paged` (a level had nobody on it - "
        "no escalation policy and nobody on call, an unknown team - and nobody was paged since)"
    )
    mtta_seconds: float | None
    mttr_seconds: float | None
    allowed_transitions: list[Status]


class NoteRead(BaseModel):
    id: uuid.UUID
    author: str
    body: str
    created_at: datetime


class TimelineEntryRead(BaseModel):
    id: uuid.UUID
    event_type: str
    actor: str
    message: str
    data: dict[str, Any]
    created_at: datetime


class IncidentDetail(IncidentRead):
    alerts: list[dict[str, Any]] = Field(
        description="the newest alerts (ingestion's alert bodies); the rest page by page from "
        "GET /api/v1/incidents/{id}/alerts?cursor=alerts_next_cursor"
    )
    alerts_next_cursor: str | None = None
    alerts_source: Literal["ingestion", "unavailable"] = Field(
        description="`unavailable` when alert ingestion, which stores the alerts, could not be "
        "reached: `alerts` is empty, `alert_count` still counts them"
    )
    notes: list[NoteRead]
    timeline: list[TimelineEntryRead]


class IncidentMetrics(BaseModel):
    incident_id: uuid.UUID
    status: Status
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    mtta_seconds: float | None = Field(description="acknowledged_at - created_at; null until acked")
    mttr_seconds: float | None = Field(description="resolved_at - created_at; null until resolved")


ItemT = TypeVar("ItemT")


class IncidentAlertPage(CursorPage[dict[str, Any]]):
    """Ingestion's alert bodies, newest first (docs/architecture.md, "Lists")."""


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int


class DurationStats(BaseModel):
    count: int
    mean_seconds: float | None
    p50_seconds: float | None
    p90_seconds: float | None


class StatsSummary(BaseModel):
    since: datetime | None
    until: datetime | None
    total: int
    by_status: dict[Status, int]
    by_severity: dict[Severity, int]
    open_by_severity: dict[Severity, int] = Field(
        description="unresolved (open, acknowledged, in progress) incidents by severity"
    )
    nobody_paged: int = Field(
        description="unresolved incidents whose escalation paged nobody (page_state nobody_paged)"
    )
    mtta: DurationStats
    mttr: DurationStats


class GroupStats(BaseModel):
    name: str | None = Field(description="the team or service; null: incidents without a team")
    total: int
    open: int = Field(description="unresolved (open, acknowledged, in progress)")
    mtta: DurationStats
    mttr: DurationStats


class GroupStatsPage(BaseModel):
    by: Literal["team", "service"]
    since: datetime | None
    until: datetime | None
    groups: int = Field(description="how many teams / services the range has (items: the top)")
    items: list[GroupStats]
