"""Settings of the oncall-escalation service (environment variables; see docs/operations.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings


class OncallSettings(ServiceSettings):
    service_name: str = "oncall-escalation"
