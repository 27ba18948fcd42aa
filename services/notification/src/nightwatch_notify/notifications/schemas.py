"""Request and response bodies of the notification API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from nightwatch_core.validation import Page
from pydantic import BaseModel, ConfigDict, Field

Status = Literal["pending", "delivered", "failed"]


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    recipient: str
    channel: str
    subject: str
    message: str
    incident_id: UUID | None
    idempotency_key: str | None
    notification_rule_id: UUID | None = None
    notification_rule: str | None = None
    status: Status
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


class NotificationPage(Page[NotificationRead]):
    """Newest first (docs/architecture.md, "Lists")."""


class ChannelRead(BaseModel):
    name: str
    configured: bool = Field(description="False: POST /api/v1/notify answers 422 for it")


class ChannelList(BaseModel):
    default: str
    channels: list[ChannelRead]
