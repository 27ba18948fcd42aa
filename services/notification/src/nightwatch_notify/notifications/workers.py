"""The outbox worker: delivers pending notifications, retrying with capped exponential backoff.

Each batch is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and the row locks are held while the
batch is sent and until its results are committed, so two replicas never send one notification at
the same time. State lives only in PostgreSQL: a restart resumes where it stopped. A crash after a
send but before the commit means the notification is sent again on the next attempt (at-least-once;
webhook receivers deduplicate on ``X-Nightwatch-Notification-Id``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import FastAPI
from nightwatch_core.polling import PollingWorker

from nightwatch_notify.channels import (
    Channel,
    DeliveryError,
    OutgoingNotification,
    PermanentDeliveryError,
)
from nightwatch_notify.metrics import NOTIFICATIONS_SENT
from nightwatch_notify.notifications import service
from nightwatch_notify.notifications.models import Notification
from nightwatch_notify.settings import NotifySettings

log = logging.getLogger("nightwatch.notify.worker")

Outcome = tuple[str | None, bool]  # (error, retryable); (None, _) means delivered


class DeliveryWorker(PollingWorker):
    def __init__(self, settings: NotifySettings) -> None:
        super().__init__(
            batch_size=settings.notify_batch_size,
            poll_interval=settings.notify_poll_interval_seconds,
        )
        self.base_backoff = settings.notify_base_backoff_seconds
        self.max_backoff = settings.notify_max_backoff_seconds

    def backoff(self, attempts: int) -> timedelta:
        """Delay after the ``attempts``-th failed attempt: base · 2^(attempts-1), capped."""
        exponent = min(attempts - 1, 60)
        return timedelta(seconds=min(self.max_backoff, self.base_backoff * 2**exponent))

    async def run_due(self, app: FastAPI) -> int:
        """Claim one batch of due notifications, send them concurrently, record the outcomes."""
        channels: dict[str, Channel] = app.state.channels
        async with app.state.sessionmaker() as session, session.begin():
            rows = await service.claim_due(
                session=session, now=app.state.clock.now(), limit=self.batch_size
            )
            if not rows:
                return 0
            outcomes = await asyncio.gather(*(_attempt(channels, row) for row in rows))
            now = app.state.clock.now()
            for row, (error, retryable) in zip(rows, outcomes, strict=True):
                if error is None:
                    service.record_delivered(notification=row, now=now)
                    NOTIFICATIONS_SENT.labels(row.channel, "delivered").inc()
                    continue
                retry_after = self.backoff(row.attempts + 1) if retryable else None
                service.record_failed_attempt(
                    notification=row, error=error, now=now, retry_after=retry_after
                )
                NOTIFICATIONS_SENT.labels(
                    row.channel, row.status if row.status == "failed" else "retry"
                ).inc()
                log.warning(
                    "notification attempt failed",
                    extra={
                        "notification_id": str(row.id),
                        "channel": row.channel,
                        "attempts": row.attempts,
                        "status": row.status,
                        "error": error[:300],
                    },
                )
        return len(rows)


async def _attempt(channels: dict[str, Channel], row: Notification) -> Outcome:
    channel = channels.get(row.channel)
    if channel is None:
        # Accepted while configured, then the configuration changed: keep retrying so fixing the
        # configuration still delivers it, until the attempts run out.
        return f"channel {row.channel!r} is not configured", True
    notification = OutgoingNotification(
        id=row.id,
        recipient=row.recipient,
        subject=row.subject,
        message=row.message,
        incident_id=row.incident_id,
        attempt=row.attempts + 1,
        created_at=row.created_at,
    )
    try:
        await channel.send(notification)
    except PermanentDeliveryError as exc:
        return str(exc), False
    except DeliveryError as exc:
        return str(exc), True
    except Exception as exc:
        # Unexpected: the message could carry anything, so store only the type.
        log.exception("channel %s raised unexpectedly", row.channel)
        return f"unexpected {type(exc).__name__}", True
    return None, True
