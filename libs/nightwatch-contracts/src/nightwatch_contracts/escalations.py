"""Escalations (incident management -> on-call ``POST /internal/v1/escalations`` and
``/escalations/batch`` to start, ``/escalations/{incident_id}/stop`` and ``/escalations/stops`` to
stop on an acknowledge or resolve)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from nightwatch_core.validation import reject_nul
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from nightwatch_contracts.fields import Name
from nightwatch_contracts.vocabulary import IncidentStatus, Severity

MAX_START_BATCH = 1000
MAX_STOP_BATCH = 500

Title = Annotated[str, StringConstraints(max_length=500), AfterValidator(reject_nul)]
EscalationState = Literal["active", "exhausted", "stopped"]


class EscalationStart(BaseModel):
    # Fields incident-management may add later are ignored, not refused: a refused start would
    # be a page never sent.
    model_config = ConfigDict(extra="ignore")

    incident_id: uuid.UUID
    team: Name
    title: Title = ""
    service: Annotated[str, StringConstraints(max_length=200), AfterValidator(reject_nul)] = ""
    severity: Severity | None = None


class EscalationStartBatch(BaseModel):
    escalations: list[EscalationStart] = Field(min_length=1, max_length=MAX_START_BATCH)


class EscalationStarted(BaseModel):
    incident_id: uuid.UUID
    created: bool = Field(description="false: this incident's escalation existed (a replay)")
    status: EscalationState


class EscalationStartBatchResult(BaseModel):
    results: list[EscalationStarted] = Field(description="one per distinct incident_id")


class EscalationStop(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal[IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED]
    actor: Name = "anonymous"


class EscalationStopItem(EscalationStop):
    incident_id: uuid.UUID


class EscalationStopBatch(BaseModel):
    """The stops of concurrent acknowledges / resolves, sent together by incident management."""

    model_config = ConfigDict(extra="forbid")

    stops: list[EscalationStopItem] = Field(min_length=1, max_length=MAX_STOP_BATCH)


class EscalationStopped(BaseModel):
    incident_id: uuid.UUID
    status: EscalationState
    stop_reason: str | None


class EscalationStopBatchResult(BaseModel):
    results: list[EscalationStopped] = Field(description="one per stop, in the order sent")
