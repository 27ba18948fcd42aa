"""Request and response bodies of the notification API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Status = Literal["pending", "delivered", "failed"]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it here with a clear message instead.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


CleanText = Annotated[str, AfterValidator(_no_nul)]
Recipient = Annotated[
    str, Field(min_length=1, max_length=2048), AfterValidator(_not_blank), AfterValidator(_no_nul)
]
ChannelName = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_no_nul)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_no_nul)]


class NotificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, as in every service

    recipient: Recipient = Field(
        description="Who to notify: an email address (email), an http(s) URL (webhook), "
        "a Slack handle or channel (slack), any name (mock)",
        examples=["alice@example.com"],
    )
    channel: ChannelName = Field(default="mock", examples=["mock"])
    subject: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_no_nul)]
    message: Annotated[str, Field(min_length=1, max_length=10000), AfterValidator(_no_nul)]
    incident_id: UUID | None = None
    idempotency_key: IdempotencyKey | None = Field(
        default=None,
        description="Same key -> same notification, never sent twice (also accepted as the "
        "Idempotency-Key header)",
    )
    notification_rule_id: UUID | None = Field(
        default=None, description="the on-call person's notification rule that sent this page"
    )
    notification_rule: Annotated[str, Field(max_length=300), AfterValidator(_no_nul)] | None = (
        Field(default=None, examples=["high urgency: after 2 min via sms +15550100"])
    )


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


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    total: int
    limit: int
    offset: int


class ChannelRead(BaseModel):
    name: str
    configured: bool = Field(description="False: POST /api/v1/notify answers 422 for it")


class ChannelList(BaseModel):
    default: str
    channels: list[ChannelRead]


MAX_BATCH = 500


class NotificationBatch(BaseModel):
    """Each item is checked on its own (a bad one is refused in its result, not the whole batch)."""

    model_config = ConfigDict(extra="forbid")

    notifications: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="bodies as for POST /api/v1/notify, each with its idempotency_key",
    )


class BatchItemError(BaseModel):
    code: str
    message: str


class BatchItemResult(BaseModel):
    status: int = Field(description="202 accepted (or replayed), 422 refused")
    id: UUID | None = None
    replayed: bool = False
    error: BatchItemError | None = None


class NotificationBatchResult(BaseModel):
    results: list[BatchItemResult] = Field(description="one per item, in order")
