"""Heartbeat bodies (``/api/v1/heartbeats``); every answer carries the ping URL."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from nightwatch_core.validation import Page
from pydantic import BaseModel, ConfigDict, Field

from nightwatch_ingestion.alerts.schemas import ServiceName, Severity
from nightwatch_ingestion.integrations.schemas import Name, TeamName

MIN_INTERVAL = 10
MAX_SECONDS = 31 * 24 * 3600


class HeartbeatState(StrEnum):
    waiting = "waiting"  # created, no ping yet (the first deadline runs from creation)
    up = "up"
    down = "down"  # missed: its alert is firing until the next ping


class HeartbeatCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "nightly-backup",
                    "team": "platform",
                    "interval_seconds": 86400,
                    "grace_seconds": 3600,
                }
            ]
        },
    )

    name: Name
    team: TeamName
    service: ServiceName | None = Field(
        default=None, description="the service of its alert; default: the heartbeat's name"
    )
    severity: Severity = Severity.HIGH
    interval_seconds: int = Field(ge=MIN_INTERVAL, le=MAX_SECONDS)
    grace_seconds: int = Field(default=0, ge=0, le=MAX_SECONDS)


class HeartbeatUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: TeamName | None = None
    service: ServiceName | None = None
    severity: Severity | None = None
    interval_seconds: int | None = Field(default=None, ge=MIN_INTERVAL, le=MAX_SECONDS)
    grace_seconds: int | None = Field(default=None, ge=0, le=MAX_SECONDS)


class HeartbeatRead(BaseModel):
    id: UUID
    name: str
    team: str
    service: str
    severity: Severity
    interval_seconds: int
    grace_seconds: int
    state: HeartbeatState
    ping_url: str = Field(description="GET or POST it (curl, a cron job): the key is in the URL")
    deadline_at: datetime = Field(description="missed if no ping arrives before this")
    last_ping_at: datetime | None
    last_missed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class HeartbeatList(Page[HeartbeatRead]):
    """docs/architecture.md, "Lists"."""


class PingAnswer(BaseModel):
    ok: bool = True
    heartbeat: str
    state: HeartbeatState
    deadline_at: datetime
    resolved: bool = Field(description="this ping ended a missed heartbeat (its alert resolves)")
