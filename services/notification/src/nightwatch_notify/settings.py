"""Settings of the notification service (environment variables; see docs/notifications.md).

A channel other than ``mock`` is available only once it is configured: ``webhook`` needs
``WEBHOOK_SECRET``, ``email`` needs ``SMTP_HOST``, ``slack`` needs ``SLACK_WEBHOOK_URL``. Secrets are
``SecretStr``: they are never logged, never returned by the API and never shown in a repr.
"""

from __future__ import annotations

from typing import Literal

from nightwatch_core.networks import IPNetwork, parse_networks
from nightwatch_core.settings import ServiceSettings
from pydantic import Field, SecretStr, field_validator, model_validator

from nightwatch_notify.channels.base import check_http_url


class NotifySettings(ServiceSettings):
    service_name: str = "notification"

    # Outbox delivery: attempts, capped exponential backoff, deliveries in flight per process.
    notify_max_attempts: int = Field(default=6, ge=1, le=100)
    notify_base_backoff_seconds: float = Field(default=2.0, gt=0, le=3600)
    notify_max_backoff_seconds: float = Field(default=300.0, gt=0, le=86400)
    # Delivery slots; each claims up to NOTIFY_BATCH_SIZE due notifications at once and holds a
    # database connection only to claim and to record.
    notify_concurrency: int = Field(default=4, ge=1, le=100)
    notify_batch_size: int = Field(default=50, ge=1, le=1000)
    notify_poll_interval_seconds: float = Field(default=0.5, gt=0, le=60)
    notify_worker_enabled: bool = True
    # Delivered or failed notifications older than this are removed (notifications/retention.py).
    notification_retention_days: int = Field(default=180, ge=1, le=36_500)

    # webhook: JSON POST to the recipient URL, signed with HMAC-SHA256 over the body.
    webhook_secret: SecretStr | None = None
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    webhook_signature_header: str = Field(
        default="X-Nightwatch-Signature", pattern=r"^[A-Za-z0-9-]{1,64}$"
    )
    # Empty: any http(s) URL. Otherwise a recipient URL must start with one of these prefixes.
    webhook_allowed_url_prefixes: list[str] = Field(default_factory=list)
    # Loopback, private and link-local receivers are refused unless one of these comma-separated
    # addresses/networks contains them ("127.0.0.1,10.20.0.0/16"); see channels/address_guard.py.
    webhook_allowed_networks: str = ""

    # email: SMTP.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Nightwatch <nightwatch@localhost>"
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    # slack: incoming-webhook URL (it is a credential: treated as a secret).
    slack_webhook_url: SecretStr | None = None
    slack_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    # A recipient that is a Slack webhook URL with one of these prefixes is posted to directly.
    slack_recipient_webhook_prefixes: list[str] = Field(
        default_factory=lambda: ["https://hooks.slack.com/"]
    )

    @field_validator("slack_webhook_url")
    @classmethod
    def _slack_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            check_http_url(value.get_secret_value())
        return value or None

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value, setting="WEBHOOK_ALLOWED_NETWORKS")
        return value

    def webhook_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.webhook_allowed_networks, setting="WEBHOOK_ALLOWED_NETWORKS")

    @field_validator("webhook_secret", "smtp_password")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None

    @field_validator("smtp_host", "smtp_username")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _backoff_order(self) -> NotifySettings:
        if self.notify_max_backoff_seconds < self.notify_base_backoff_seconds:
            raise ValueError("NOTIFY_MAX_BACKOFF_SECONDS must be >= NOTIFY_BASE_BACKOFF_SECONDS")
        return self
