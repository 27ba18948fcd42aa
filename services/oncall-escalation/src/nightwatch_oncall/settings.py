"""Settings of the oncall-escalation service (environment variables; see docs/operations.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings
from pydantic import Field


class OncallSettings(ServiceSettings):
    service_name: str = "oncall-escalation"

    # Escalation timers: how often a replica looks for due steps (a step fires within this of its
    # due time), and whether this process runs the escalation workers at all.
    escalation_poll_seconds: float = Field(default=0.2, gt=0, le=1.0)
    escalation_workers_enabled: bool = True
