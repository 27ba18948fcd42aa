"""Routing rule bodies (``/api/v1/routing-rules``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from nightwatch_core.validation import Page, stripped
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from nightwatch_ingestion.alerts.schemas import (
    MAX_LABELS,
    LabelKey,
    LabelValue,
    ServiceName,
    Severity,
    SeverityIn,
)
from nightwatch_ingestion.suppression.schemas import MAX_MATCHERS, MatcherText, TeamName

MAX_RULES = 1000
RuleName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(stripped)]
TestMessage = Annotated[str, Field(max_length=4096)]


def _a_team_not_unrouted(team: str | None) -> str | None:
    if team is not None and team == "unrouted":
        raise ValueError("'unrouted' names the alerts that route nowhere; choose a real team")
    return team


RuleTeam = Annotated[TeamName, AfterValidator(_a_team_not_unrouted)]


class RuleCreate(BaseModel):
    """A rule: matchers (all must match; none: every alert) and at least one action."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "payments to the payments team",
                    "matchers": ['service=~"payments-.*"', 'env!="staging"'],
                    "set_team": "payments",
                    "set_severity": None,
                    "add_labels": {"routed": "payments"},
                    "suppress": False,
                    "continue": False,
                }
            ]
        },
    )

    name: RuleName
    matchers: list[MatcherText] = Field(default_factory=list, max_length=MAX_MATCHERS)
    set_team: RuleTeam | None = Field(default=None, description="must exist in on-call")
    set_severity: SeverityIn | None = None
    add_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict, max_length=MAX_LABELS)
    suppress: bool = Field(default=False, description="stored and shown, no incident, no page")
    continue_matching: bool = Field(
        default=False,
        alias="continue",
        description="after this rule, the next matching rules add what this one did not set",
    )
    position: int | None = Field(
        default=None, ge=0, le=MAX_RULES, description="0 = first; default: last (or unchanged)"
    )

    @model_validator(mode="after")
    def _does_something(self) -> RuleCreate:
        if not (self.set_team or self.set_severity or self.add_labels or self.suppress):
            raise ValueError(
                "a rule needs at least one action: set_team, set_severity, add_labels or suppress"
            )
        return self


class RuleRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: UUID
    position: int
    name: str
    matchers: list[str]
    set_team: str | None
    set_severity: Severity | None
    add_labels: dict[str, str]
    suppress: bool
    continue_matching: bool = Field(alias="continue")
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class CatchAllRead(BaseModel):
    team: str | None = Field(description="where alerts no label, rule or integration routed go")
    exists: bool | None = Field(
        description="on-call knows the team (null: not checked yet, on-call unreachable); a "
        "team that does not exist is not routed to: those alerts are unrouted"
    )
    updated_by: str | None
    updated_at: datetime | None


class CatchAllUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: RuleTeam | None = Field(description="null: no catch-all (unrouted alerts)")


class RuleList(BaseModel):
    items: list[RuleRead]
    total: int
    catch_all: CatchAllRead
    unrouted_last_day: int = Field(description="alerts that routed nowhere in the last 24 hours")


class RuleOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[UUID] = Field(max_length=MAX_RULES, description="every rule's id, in the new order")


class RoutingChange(BaseModel):
    id: int
    changed_at: datetime
    actor: str
    action: str = Field(description="created, updated, deleted, reordered, catch_all or imported")
    rule_id: UUID | None
    before: Any
    after: Any


class RoutingHistory(Page[RoutingChange]):
    """The change history, newest first."""


class SampleAlert(BaseModel):
    """What the rules see of an alert; the message is optional here."""

    model_config = ConfigDict(extra="forbid")

    service: ServiceName
    severity: SeverityIn
    message: TestMessage = ""
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict, max_length=MAX_LABELS)


class RoutingTest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "alert": {
                        "service": "payments-api",
                        "severity": "high",
                        "labels": {"env": "prod"},
                    }
                }
            ]
        },
    )

    alert: SampleAlert
    integration_team: TeamName | None = Field(
        default=None, description="as if sent by an integration with this default team"
    )


class RuleRef(BaseModel):
    id: UUID
    name: str


class RoutingOutcome(BaseModel):
    matched: list[RuleRef] = Field(description="the rules that applied, in order")
    rule: RuleRef | None = Field(description="the first rule that matched")
    team: str
    routed_by: str | None = Field(
        description="the rule that set the team, labels.team, integration or catch-all; "
        "null: unrouted"
    )
    unrouted: bool
    severity: Severity
    labels: dict[str, str]
    suppressed: bool
    suppressed_by: RuleRef | None
