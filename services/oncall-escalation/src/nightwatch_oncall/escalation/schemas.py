"""Request and response bodies of the escalation API (levels are numbered from 1 in the API)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nightwatch_oncall.validation import Description, Name

MAX_LEVELS = 20
MAX_TARGETS_PER_LEVEL = 10
MAX_REPEAT_COUNT = 9  # PagerDuty allows 9 loops; more is a misconfiguration, not a policy
MAX_DELAY_MINUTES = 1440


TargetType = Literal["schedule", "user", "team", "team_oncall"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(Strict):
    """Who a level pages: a schedule's on-call, a user, every member of a team, or a team's on-call."""

    type: TargetType
    id: Name = Field(description="schedule id, user id, or team name (team, team_oncall)")


class Level(Strict):
    targets: list[Target] = Field(min_length=1, max_length=MAX_TARGETS_PER_LEVEL)
    delay_minutes: int = Field(
        ge=1, le=MAX_DELAY_MINUTES, description="wait this long for an ack before the next level"
    )


class PolicyCreate(Strict):
    team: Name
    name: Name
    description: Description = ""
    repeat_count: int = Field(
        default=0, ge=0, le=MAX_REPEAT_COUNT, description="times to run all levels again"
    )
    levels: list[Level] = Field(min_length=1, max_length=MAX_LEVELS)


class PolicyUpdate(Strict):
    name: Name | None = None
    description: Description | None = None
    repeat_count: int | None = Field(default=None, ge=0, le=MAX_REPEAT_COUNT)
    levels: list[Level] | None = Field(default=None, min_length=1, max_length=MAX_LEVELS)


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    team: str
    name: str
    description: str
    repeat_count: int
    levels: list[Level]
    version: int
    created_at: datetime
    updated_at: datetime


class EscalateRequest(Strict):
    incident_id: uuid.UUID
    team: Name | None = Field(default=None, description="escalate to this team instead")


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    level: int | None
    round: int | None
    actor: str
    message: str
    data: dict[str, Any]
    created_at: datetime


class PageSentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: int
    level: int
    round: int
    user_id: str
    user_name: str
    channel: str
    recipient: str
    status: str
    notification_id: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    due_at: datetime | None = Field(
        default=None, description="when it is sent: a notification rule's delay, or quiet hours"
    )
    notification_rule_id: uuid.UUID | None = Field(
        default=None, description="the person's notification rule that sent it; null: default"
    )
    notification_rule: str | None = Field(
        default=None, examples=["high urgency: after 2 min via sms +15550100"]
    )


class EscalationRead(BaseModel):
    incident_id: uuid.UUID
    team: str | None
    title: str
    service: str
    severity: str | None
    status: Literal["active", "exhausted", "stopped"]
    policy_id: uuid.UUID | None
    policy: dict[str, Any] | None = Field(description="the policy as copied when escalation began")
    last_level: int | None = Field(description="level paged most recently (1-based)")
    next_level: int | None = Field(description="level the timer pages next (1-based)")
    round: int
    next_step_at: datetime | None
    steps_taken: int
    stop_reason: str | None
    stopped_by: str | None
    stopped_at: datetime | None
    created_at: datetime
    updated_at: datetime
    events: list[EventRead]
    pages: list[PageSentRead]
