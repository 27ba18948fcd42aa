"""Request and response bodies of personal notification rules."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Urgency = Literal["high", "low"]
# Minutes after the page; 0 is "immediately". A day at most, as an escalation level's delay.
DelayMinutes = Annotated[int, Field(ge=0, le=1440)]
ClockTime = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    Field(description="HH:MM, 24-hour, in the person's time zone", examples=["22:00"]),
]


class NotificationRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urgency: Urgency = Field(description="high: critical and high incidents; low: medium and low")
    delay_minutes: DelayMinutes = Field(description="minutes after the person is paged")
    contact_method_id: uuid.UUID = Field(description="one of this person's contact methods")


class QuietHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursIn:
        if self.start == self.end:
            raise ValueError("quiet hours must not start and end at the same time")
        return self


class NotificationRulesIn(BaseModel):
    """The whole set: replaces the person's rules and quiet hours."""

    model_config = ConfigDict(extra="forbid")

    rules: list[NotificationRuleIn] = Field(default_factory=list, max_length=50)
    quiet_hours: QuietHoursIn | None = Field(
        default=None, description="low-urgency notifications due inside wait until they end"
    )


class ContactMethodSummary(BaseModel):
    id: uuid.UUID
    type: str
    address: str


class NotificationRuleRead(BaseModel):
    id: uuid.UUID
    urgency: Urgency
    delay_minutes: int
    contact_method_id: uuid.UUID
    contact_method: ContactMethodSummary
    description: str = Field(examples=["high urgency: after 2 min via sms +15550100"])


class QuietHoursRead(BaseModel):
    start: str
    end: str


class NotificationRulesRead(BaseModel):
    user_id: uuid.UUID
    timezone: str
    quiet_hours: QuietHoursRead | None
    rules: list[NotificationRuleRead] = Field(description="by urgency, then delay")
    defaults: dict[Urgency, str] = Field(
        description="what happens for an urgency without rules (every contact method at once)"
    )


class ContactMethodTestRead(BaseModel):
    contact_method_id: uuid.UUID
    channel: str
    recipient: str
    idempotency_key: str = Field(
        description="the notification's idempotency key: find it in GET /api/v1/notifications"
    )
    status: Literal["queued"]
