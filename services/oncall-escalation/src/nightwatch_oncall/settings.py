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

    # The calendar feed (schedules/feed.py): at most this many layer shifts of work per fetch
    # (the window shrinks past it), at most this many feeds computed at once per process.
    ical_max_layer_shifts: int = Field(default=5_000, ge=100, le=1_000_000)
    ical_concurrency: int = Field(default=2, ge=1, le=32)
