"""Settings of the notification service (environment variables; see docs/operations.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notification"
