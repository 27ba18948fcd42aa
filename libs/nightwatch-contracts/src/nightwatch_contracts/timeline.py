"""Incident events: what another service writes on an incident's timeline (on-call's lookups,
pages and escalations -> incident management ``POST /internal/v1/incidents/{id}/timeline`` and
``POST /internal/v1/incidents/timeline/batch``)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from nightwatch_core.validation import NUL_MESSAGE, reject_nul
from pydantic import BaseModel, Field, StringConstraints, field_validator

from nightwatch_contracts.fields import Name

TIMELINE_MESSAGE_MAX = 2_000


class TimelineCreate(BaseModel):
    event_type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:-]{0,63}$")]
    actor: Name = "system"
    # A long message (e.g. a lookup naming many people) is cut, not refused: a refused entry
    # would be lost to the caller's retries.
    message: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    dedup_key: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None

    @field_validator("message")
    @classmethod
    def _short_message(cls, value: str) -> str:
        return reject_nul(value)[:TIMELINE_MESSAGE_MAX]

    @field_validator("dedup_key")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        return None if value is None else reject_nul(value)

    @field_validator("data")
    @classmethod
    def _data_without_nul(cls, value: dict[str, Any]) -> dict[str, Any]:
        # PostgreSQL's jsonb cannot hold \u0000 anywhere, keys included.
        if "\\u0000" in json.dumps(value):
            raise ValueError(NUL_MESSAGE)
        return value


TIMELINE_BATCH_MAX = 1_000


class TimelineBatchEntry(TimelineCreate):
    incident_id: uuid.UUID


class TimelineBatch(BaseModel):
    entries: Annotated[list[TimelineBatchEntry], Field(min_length=1, max_length=TIMELINE_BATCH_MAX)]


class TimelineBatchItem(BaseModel):
    status: int = Field(description="201 written, 200 replay of a dedup_key, 404 unknown incident")


class TimelineBatchResult(BaseModel):
    results: list[TimelineBatchItem] = Field(description="one per entry, in order")
