"""``mock``: the default channel. Records and logs the notification; sends nothing anywhere."""

from __future__ import annotations

import logging
from collections import deque

from nightwatch_notify.channels.base import OutgoingNotification

log = logging.getLogger("nightwatch.notify.mock")


class MockChannel:
    name = "mock"

    def __init__(self, keep: int = 1000) -> None:
        # The most recent deliveries of this process, for tests and local inspection.
        self.delivered: deque[OutgoingNotification] = deque(maxlen=keep)

    def check_recipient(self, recipient: str) -> str:
        return recipient

    def display_recipient(self, recipient: str) -> str:
        return recipient

    async def send(self, notification: OutgoingNotification) -> None:
        self.delivered.append(notification)
        log.info(
            "mock notification delivered",
            extra={
                "notification_id": str(notification.id),
                "recipient": notification.recipient,
                "subject": notification.subject,
                "incident_id": str(notification.incident_id or ""),
            },
        )
