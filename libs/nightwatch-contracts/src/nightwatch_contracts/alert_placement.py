"""``POST /internal/v1/alert-batches`` (alert ingestion -> incident management): which incident
each alert of a batch joins. Ingestion builds the items on its hot path as plain dicts (no model per
alert); tests/test_contracts.py checks that those dicts are what ``AlertBatchIn`` takes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from nightwatch_core.validation import UtcDatetime, reject_nul
from pydantic import BaseModel, Field, StringConstraints, field_validator

from nightwatch_contracts.fields import Name
from nightwatch_contracts.vocabulary import Severity

ALERT_BATCH_MAX = 1_000

EARLIEST_RECEIVED_AT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_RECEIVED_AT = datetime(9000, 1, 1, tzinfo=UTC)

CorrelationResult = Literal[
    "new_incident", "correlated", "duplicate", "resolved", "acknowledged", "ignored"
]
# What the sender said about the alert: it fires (trigger), it stopped (resolve), or a person
# acknowledged it in the sending tool (PagerDuty Events v2 acknowledge).
AlertAction = Literal["trigger", "resolve", "acknowledge"]


class AlertToCorrelate(BaseModel):
    """One alert as ingestion stored it (ingestion owns the alert; this is what correlation and a
    new incident's title need)."""

    alert_id: uuid.UUID
    service: Name
    severity: Severity
    fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    message: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    labels: dict[str, str] = Field(default_factory=dict, max_length=64)
    team: Name
    # Ingestion's arrival time: the correlation window counts between alerts' arrivals.
    received_at: UtcDatetime
    action: AlertAction = "trigger"
    # Who the timeline names when this alert resolves or acknowledges its incident
    # ("integration:<name>"); and whether resolving its last alert resolves the incident.
    actor: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    auto_resolve: bool = True

    @field_validator("fingerprint", "message", "actor")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else reject_nul(value)

    @field_validator("received_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        # Ingestion's own clock: a time outside this range is a bug, and the window arithmetic
        # (received_at - window) must not overflow.
        if not EARLIEST_RECEIVED_AT <= value <= LATEST_RECEIVED_AT:
            raise ValueError("must be an arrival time between the years 2000 and 9000")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            reject_nul(key)
            reject_nul(text)
        return value


class AlertBatchIn(BaseModel):
    # Ingestion's id for this batch: sending the same batch again replays the first answer.
    batch_id: uuid.UUID
    alerts: list[AlertToCorrelate] = Field(min_length=1, max_length=ALERT_BATCH_MAX)


class AlertPlaced(BaseModel):
    alert_id: uuid.UUID
    incident_id: uuid.UUID | None = Field(
        description="null only for a resolve or acknowledge that no open incident holds"
    )
    result: CorrelationResult


class AlertBatchOut(BaseModel):
    batch_id: uuid.UUID
    results: list[AlertPlaced] = Field(description="one per alert, in the order sent")
    replayed: bool = Field(description="this batch was correlated before: the same answer again")
