"""Notification channels, one module each, registered here from the settings.

``mock`` is always available; the others only once configured (see ``settings.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from nightwatch_notify.channels.base import (
    Channel,
    DeliveryError,
    OutgoingNotification,
    PermanentDeliveryError,
)
from nightwatch_notify.channels.email import EmailChannel
from nightwatch_notify.channels.mock import MockChannel
from nightwatch_notify.channels.slack import SlackChannel
from nightwatch_notify.channels.webhook import WebhookChannel

if TYPE_CHECKING:  # settings import channels.base: avoid the cycle at runtime
    from nightwatch_notify.settings import NotifySettings

KNOWN_CHANNELS = ("mock", "webhook", "email", "slack")

__all__ = [
    "KNOWN_CHANNELS",
    "Channel",
    "DeliveryError",
    "OutgoingNotification",
    "PermanentDeliveryError",
    "build_channels",
]


def build_channels(
    settings: NotifySettings, *, http: httpx.AsyncClient, webhook_http: httpx.AsyncClient
) -> dict[str, Channel]:
    """``webhook_http`` reaches only the addresses a webhook may (``address_guard``); ``http``
    serves channels whose receivers the operator configured (Slack)."""
    channels: dict[str, Channel] = {"mock": MockChannel()}
    if settings.webhook_secret is not None:
        channels["webhook"] = WebhookChannel(
            http=webhook_http,
            allowed_networks=settings.webhook_networks(),
            secret=settings.webhook_secret.get_secret_value().encode(),
            timeout=settings.webhook_timeout_seconds,
            signature_header=settings.webhook_signature_header,
            allowed_url_prefixes=settings.webhook_allowed_url_prefixes,
        )
    if settings.smtp_host:
        channels["email"] = EmailChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            security=settings.smtp_security,
            timeout=settings.smtp_timeout_seconds,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
    if settings.slack_webhook_url is not None:
        channels["slack"] = SlackChannel(
            http=http,
            webhook_url=settings.slack_webhook_url.get_secret_value(),
            timeout=settings.slack_timeout_seconds,
            recipient_webhook_prefixes=settings.slack_recipient_webhook_prefixes,
        )
    return channels
