"""Alert request and response bodies (the public contract of POST/GET /api/v1/alerts).

Limits (documented in docs/alerts.md): service 1-200 characters, message 1-4096, at most 64
labels with keys 1-128 and values up to 1024 characters, batches of 1-1000 alerts. No string may
contain a NUL character or an unpaired surrogate (PostgreSQL cannot store either).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from nightwatch_contracts.vocabulary import Severity
from nightwatch_core.validation import CursorPage, UtcDatetime, storable, stripped
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

MAX_BATCH = 1000
MAX_LABELS = 64
MAX_TEAM = 200


class CorrelationResult(StrEnum):
    new_incident = "new_incident"
    correlated = "correlated"
    duplicate = "duplicate"
    # a resolve / acknowledge from the source: applied to the open incident holding the alert,
    # or ignored when none does
    resolved = "resolved"
    acknowledged = "acknowledged"
    ignored = "ignored"
    # stored and shown, but held back by a silence or maintenance window: no incident, no page
    suppressed = "suppressed"


class AlertStatus(StrEnum):
    firing = "firing"
    resolved = "resolved"


def _lowercase(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


ServiceName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(stripped)]
Message = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(stripped)]
LabelKey = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(storable)]
LabelValue = Annotated[str, Field(max_length=1024), AfterValidator(storable)]
SeverityIn = Annotated[Severity, BeforeValidator(_lowercase)]
DedupKey = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(stripped)]


class AlertCreate(BaseModel):
    """One alert. ``labels`` and ``timestamp`` are optional (timestamp defaults to arrival)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "service": "frontend-api",
                    "severity": "high",
                    "message": "HTTP 5xx error rate > 10%",
                    "labels": {"env": "production"},
                    "timestamp": "2026-02-09T15:30:00Z",
                }
            ]
        },
    )

    service: ServiceName
    severity: SeverityIn
    message: Message
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict, max_length=MAX_LABELS)
    timestamp: UtcDatetime | None = None
    dedup_key: DedupKey | None = Field(
        default=None,
        description="The alert's identity when given (the fingerprint is derived from it alone): "
        "'CPU 91%' and 'CPU 92%' of one check are one alert. Without it, the fingerprint of service, severity, message "
        "and labels.",
    )
    status: AlertStatus = Field(
        default=AlertStatus.firing,
        description="resolved: the condition is gone; resolves the alerts of this fingerprint "
        "and, when none of its incident fires any more, the incident",
    )

    @field_validator("labels")
    @classmethod
    def _team_fits(cls, labels: dict[str, str]) -> dict[str, str]:
        # labels.team names the incident's team, which incident-management caps at 200.
        if len(labels.get("team", "").strip()) > MAX_TEAM:
            raise ValueError(f"labels.team must be at most {MAX_TEAM} characters")
        return labels


AlertBatch = Annotated[list[AlertCreate], Field(min_length=1, max_length=MAX_BATCH)]


class SuppressedBy(BaseModel):
    kind: str = Field(description="silence or maintenance")
    id: UUID = Field(description="the silence's or maintenance window's id")


class AlertAccepted(BaseModel):
    """What POST answers for each alert."""

    alert_id: UUID
    id: UUID = Field(description="The same as alert_id")
    fingerprint: str
    incident_id: UUID | None = Field(description="null while linking is pending (HTTP 202)")
    result: CorrelationResult | None = Field(
        description="decided by incident-management with the incident: null while pending"
    )
    link_status: str = Field(
        description="linked, pending until incident-management answers, or suppressed"
    )
    suppressed_by: SuppressedBy | None = Field(
        default=None, description="the silence or maintenance window that held it back"
    )


class BatchAccepted(BaseModel):
    results: list[AlertAccepted] = Field(description="One per alert, in the order sent")
    accepted: int
    pending: int


class AlertRead(BaseModel):
    id: UUID
    fingerprint: str
    service: str
    severity: Severity
    message: str
    labels: dict[str, str]
    timestamp: datetime
    received_at: datetime
    incident_id: UUID | None
    result: CorrelationResult | None
    team: str | None
    source: str = Field(description="api, or the integration type (alertmanager, grafana, ...)")
    integration_id: UUID | None
    event: str = Field(description="trigger, resolve or acknowledge: what the source sent")
    status: AlertStatus
    resolved_at: datetime | None
    details: dict[str, Any] | None = Field(
        description="annotations and links (generator_url, dashboard_url, panel_url, "
        "silence_url, runbook_url, links) kept from the source"
    )
    attached_at: datetime | None = Field(
        description="when the alert got its incident (null while pending): for almost every "
        "alert its arrival, later for alerts accepted while incident-management was unreachable"
    )
    suppressed_by: SuppressedBy | None = Field(
        default=None, description="silenced: by which silence or maintenance window"
    )


class AlertPage(CursorPage[AlertRead]):
    """Newest first; ``next_cursor`` gives the older ones (docs/architecture.md, "Lists")."""
