"""``webhook``: a JSON POST to the recipient URL, signed so the receiver can trust it.

The signature header (``X-Nightwatch-Signature`` by default) is ``sha256=<hex>``, the HMAC-SHA256
of the exact body bytes with ``WEBHOOK_SECRET``. ``X-Nightwatch-Notification-Id`` is the same on
every attempt of one notification: delivery is at-least-once, so receivers deduplicate on it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from nightwatch_core.networks import IPNetwork

from nightwatch_notify.channels.address_guard import check_host
from nightwatch_notify.channels.base import OutgoingNotification, check_http_url, post_or_raise


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def webhook_body(notification: OutgoingNotification) -> dict[str, Any]:
    return {
        "id": str(notification.id),
        "recipient": notification.recipient,
        "subject": notification.subject,
        "message": notification.message,
        "incident_id": str(notification.incident_id) if notification.incident_id else None,
        "attempt": notification.attempt,
        "created_at": notification.created_at.isoformat(),
    }


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        secret: bytes,
        timeout: float,
        signature_header: str,
        allowed_url_prefixes: Sequence[str] = (),
        allowed_networks: tuple[IPNetwork, ...] = (),
    ) -> None:
        self._networks = allowed_networks
        self._http = http
        self._secret = secret
        self._timeout = timeout
        self._signature_header = signature_header
        self._allowed = tuple(allowed_url_prefixes)

    def check_recipient(self, recipient: str) -> str:
        url = check_http_url(recipient)
        if self._allowed and not url.startswith(self._allowed):
            raise ValueError("URL is not allowed by WEBHOOK_ALLOWED_URL_PREFIXES")
        check_host(urlsplit(url).hostname or "", self._networks)
        return url

    def display_recipient(self, recipient: str) -> str:
        # The path is the receiver's choice to show; a query string often carries a token.
        return recipient.split("?", 1)[0] + ("?…" if "?" in recipient else "")

    async def send(self, notification: OutgoingNotification) -> None:
        body = orjson.dumps(webhook_body(notification))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Nightwatch-Notification/1",
            "X-Nightwatch-Notification-Id": str(notification.id),
            self._signature_header: sign(self._secret, body),
        }
        await post_or_raise(
            self._http,
            self.name,
            notification.recipient,
            timeout_seconds=self._timeout,
            content=body,
            headers=headers,
        )
