"""Integration bodies (``/api/v1/integrations``) and the snapshot the inbound path works with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from nightwatch_core.validation import Page, stripped
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from nightwatch_ingestion.alerts.schemas import ServiceName, Severity

MAX_MAPPING = 50


class IntegrationType(StrEnum):
    alertmanager = "alertmanager"
    grafana = "grafana"
    pagerduty = "pagerduty"
    generic = "generic"


Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(stripped)]
TeamName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(stripped)]
ToolSeverity = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(stripped)]


def _lower_keys(mapping: dict[str, Severity]) -> dict[str, Severity]:
    return {key.lower(): value for key, value in mapping.items()}


SeverityMapping = Annotated[
    dict[ToolSeverity, Severity], Field(max_length=MAX_MAPPING), AfterValidator(_lower_keys)
]


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "alertmanager",
                    "name": "prod-alertmanager",
                    "default_service": "platform",
                    "default_team": "sre",
                    "severity_mapping": {"disaster": "critical"},
                    "auto_resolve": True,
                }
            ]
        },
    )

    type: IntegrationType
    name: Name
    default_service: ServiceName = Field(description="when the payload names no service")
    default_team: TeamName | None = Field(
        default=None, description="when the payload names no team (labels.team)"
    )
    severity_mapping: SeverityMapping = Field(
        default_factory=dict,
        description="the tool's severity (case-insensitive) -> critical|high|medium|low, over "
        "the built-in mapping (critical->critical, error/major->high, warning->medium, "
        "info->low)",
    )
    default_severity: Severity = Field(
        default=Severity.MEDIUM, description="for a severity neither mapping knows"
    )
    auto_resolve: bool = Field(
        default=True,
        description="when every alert of an incident is resolved at the source, resolve it",
    )


class IntegrationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    default_service: ServiceName | None = None
    default_team: TeamName | None = None
    severity_mapping: SeverityMapping | None = None
    default_severity: Severity | None = None
    auto_resolve: bool | None = None


class IntegrationRead(BaseModel):
    id: UUID
    type: IntegrationType
    name: str
    default_service: str
    default_team: str | None
    severity_mapping: dict[str, Severity]
    default_severity: Severity
    auto_resolve: bool
    key_prefix: str = Field(
        description="the visible start of the key (the key itself is shown once)"
    )
    inbound_url: str = Field(description="where the tool sends (the gateway's public address)")
    snippet: str = Field(description="configuration to paste into the tool (<key> for the key)")
    created_at: datetime
    updated_at: datetime
    key_rotated_at: datetime | None
    last_event_at: datetime | None
    event_counts: dict[str, int] = Field(
        description="events by outcome: accepted, resolved, acknowledged, invalid"
    )


class IntegrationWithKey(IntegrationRead):
    key: str = Field(description="the secret key: shown this once, stored only as a hash")


class IntegrationList(Page[IntegrationRead]):
    """docs/architecture.md, "Lists"."""


@dataclass(frozen=True)
class IntegrationAuth:
    """What the inbound path needs of an integration whose key was verified (cached)."""

    id: UUID
    type: str
    name: str
    default_service: str
    default_team: str | None
    default_severity: str
    auto_resolve: bool
    severity_mapping: dict[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return f"integration:{self.name}"
