"""The one small interface every channel implements, and the helpers they share.

A channel checks a recipient when the notification is accepted (so a bad address is a 422, not a
failed delivery later) and sends one notification per call. ``send`` raises
:class:`DeliveryError` to be retried with backoff, :class:`PermanentDeliveryError` when a retry
cannot help. Error messages are stored and shown: they must never contain a secret.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit
from uuid import UUID

import httpx

from nightwatch_notify.channels.address_guard import ForbiddenAddress

log = logging.getLogger("nightwatch.notify.channels")
MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class OutgoingNotification:
    id: UUID
    recipient: str
    subject: str
    message: str
    incident_id: UUID | None
    attempt: int
    created_at: datetime


class DeliveryError(Exception):
    """The attempt failed; the outbox retries it later."""


class PermanentDeliveryError(DeliveryError):
    """The attempt failed in a way a retry cannot fix (e.g. the receiver rejected the address)."""


class Channel(Protocol):
    name: str

    def check_recipient(self, recipient: str) -> str:
        """Return the recipient in canonical form; raise ValueError with a reason if invalid."""
        ...

    def display_recipient(self, recipient: str) -> str:
        """The recipient as the API shows it: credentials embedded in it are redacted."""
        ...

    async def send(self, notification: OutgoingNotification) -> None: ...


def check_http_url(url: str) -> str:
    """An absolute http(s) URL with a host, no credentials, no whitespace: else ValueError."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"URL longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise ValueError("URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"malformed URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("URL must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("URL must not contain credentials")
    return url


def redact_url(url: str, *, keep_path_segments: int = 0) -> str:
    """``https://host/a/…``: scheme, host and the first path segments; the rest may be a token."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    kept = "/".join(segments[:keep_path_segments])
    redacted = len(segments) > keep_path_segments or parts.query or parts.fragment
    return f"{parts.scheme}://{parts.netloc}/{kept}{'/…' if kept and redacted else '…' if redacted else ''}"


def http_status_error(channel: str, status: int) -> DeliveryError:
    """Classify a receiver's non-2xx answer: 4xx (except timeouts/throttling) will not heal."""
    if 400 <= status < 500 and status not in (408, 409, 425, 429):
        return PermanentDeliveryError(not_accepted(channel))
    return DeliveryError(not_accepted(channel))


def not_accepted(channel: str) -> str:
    # One message for a refused connection, a timeout and an HTTP status: anyone who can list
    # notifications reads it, and telling them apart would make the channel a port scanner.
    # The operator finds the reason in the service log.
    return f"{channel} receiver did not accept the notification (the reason is in the service log)"


async def post_or_raise(
    http: httpx.AsyncClient, channel: str, url: str, *, timeout_seconds: float, **request: Any
) -> None:
    """POST once; any failure becomes a DeliveryError whose message never contains the URL."""
    try:
        response = await http.post(url, timeout=timeout_seconds, **request)
    except ForbiddenAddress:
        raise PermanentDeliveryError(
            f"{channel} receiver's address is loopback, private or link-local: not allowed"
        ) from None
    except httpx.TimeoutException:
        log.warning("%s to %s timed out after %gs", channel, redact_url(url), timeout_seconds)
        raise DeliveryError(not_accepted(channel)) from None
    except httpx.HTTPError as exc:
        log.warning("%s to %s failed: %s", channel, redact_url(url), type(exc).__name__)
        raise DeliveryError(not_accepted(channel)) from None
    if not response.is_success:
        log.warning("%s to %s answered HTTP %d", channel, redact_url(url), response.status_code)
        raise http_status_error(channel, response.status_code)
