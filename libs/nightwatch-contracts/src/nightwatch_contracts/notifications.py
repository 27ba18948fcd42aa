"""Notify (on-call -> notification ``POST /internal/v1/notifications/batch``, and
``POST /api/v1/notify`` one at a time as the fallback): the page a person receives."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from nightwatch_core.validation import reject_nul
from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


CleanText = Annotated[str, AfterValidator(reject_nul)]
Recipient = Annotated[
    str,
    Field(min_length=1, max_length=2048),
    AfterValidator(_not_blank),
    AfterValidator(reject_nul),
]
ChannelName = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(reject_nul)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(reject_nul)]


class NotificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, as in every service

    recipient: Recipient = Field(
        description="Who to notify: an email address (email), an http(s) URL (webhook), "
        "a Slack handle or channel (slack), any name (mock)",
        examples=["alice@example.com"],
    )
    channel: ChannelName = Field(default="mock", examples=["mock"])
    subject: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(reject_nul)]
    message: Annotated[str, Field(min_length=1, max_length=10000), AfterValidator(reject_nul)]
    incident_id: UUID | None = None
    idempotency_key: IdempotencyKey | None = Field(
        default=None,
        description="Same key -> same notification, never sent twice (also accepted as the "
        "Idempotency-Key header)",
    )
    notification_rule_id: UUID | None = Field(
        default=None, description="the on-call person's notification rule that sent this page"
    )
    notification_rule: Annotated[str, Field(max_length=300), AfterValidator(reject_nul)] | None = (
        Field(default=None, examples=["high urgency: after 2 min via sms +15550100"])
    )


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
