"""``slack``: a message to a Slack incoming webhook.

A recipient that is itself an incoming-webhook URL (a user's or a team's own hook, allowed by
``SLACK_RECIPIENT_WEBHOOK_PREFIXES``) is posted to directly; any other recipient (``@alice``,
``#ops``, a member id) is named in a message to the configured ``SLACK_WEBHOOK_URL``, which posts to
the channel it was created for. Webhook URLs are credentials: never logged, redacted in the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from nightwatch_notify.channels.base import (
    OutgoingNotification,
    check_http_url,
    post_or_raise,
    redact_url,
)

MAX_RECIPIENT = 255


def escape(text: str) -> str:
    """Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(notification: OutgoingNotification, *, recipient: str) -> dict[str, Any]:
    context = f"For {escape(recipient)}"
    if notification.incident_id:
        context += f" · incident `{notification.incident_id}`"
    return {
        # `text` is the fallback shown in push notifications and by clients without blocks.
        "text": f"{notification.subject}: {notification.message}"[:3000],
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": notification.subject[:150] or "Nightwatch"},
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": escape(notification.message)[:3000] or " "},
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


class SlackChannel:
    name = "slack"

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        webhook_url: str,
        timeout: float,
        recipient_webhook_prefixes: Sequence[str] = (),
    ) -> None:
        self._http = http
        self._url = webhook_url
        self._timeout = timeout
        self._recipient_prefixes = tuple(recipient_webhook_prefixes)

    @staticmethod
    def _is_url(recipient: str) -> bool:
        return recipient.lower().startswith(("http://", "https://"))

    def check_recipient(self, recipient: str) -> str:
        if self._is_url(recipient):
            check_http_url(recipient)
            if not recipient.startswith(self._recipient_prefixes):
                allowed = ", ".join(self._recipient_prefixes) or "none"
                raise ValueError(f"a Slack webhook URL must start with one of: {allowed}")
            return recipient
        if len(recipient) > MAX_RECIPIENT:
            raise ValueError(f"a Slack recipient is at most {MAX_RECIPIENT} characters")
        return recipient

    def display_recipient(self, recipient: str) -> str:
        return redact_url(recipient, keep_path_segments=1) if self._is_url(recipient) else recipient

    async def send(self, notification: OutgoingNotification) -> None:
        await post_or_raise(
            self._http,
            self.name,
            notification.recipient if self._is_url(notification.recipient) else self._url,
            timeout_seconds=self._timeout,
            json=slack_payload(
                notification, recipient=self.display_recipient(notification.recipient)
            ),
        )
