"""``slack``: a message to the configured Slack incoming webhook (``SLACK_WEBHOOK_URL``).

The recipient (``@alice``, ``#ops``, a user id) is named in the message: an incoming webhook posts to
the channel it was created for. The URL is a credential: it never appears in logs or errors.
"""

from __future__ import annotations

from typing import Any

import httpx

from nightwatch_notify.channels.base import OutgoingNotification, post_or_raise

MAX_RECIPIENT = 255


def escape(text: str) -> str:
    """Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(notification: OutgoingNotification) -> dict[str, Any]:
    context = f"For {escape(notification.recipient)}"
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

    def __init__(self, *, http: httpx.AsyncClient, webhook_url: str, timeout: float) -> None:
        self._http = http
        self._url = webhook_url
        self._timeout = timeout

    def check_recipient(self, recipient: str) -> str:
        if len(recipient) > MAX_RECIPIENT:
            raise ValueError(f"a Slack recipient is at most {MAX_RECIPIENT} characters")
        return recipient

    async def send(self, notification: OutgoingNotification) -> None:
        await post_or_raise(
            self._http,
            self.name,
            self._url,
            timeout_seconds=self._timeout,
            json=slack_payload(notification),
        )
