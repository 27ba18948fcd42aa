"""The outbox worker: delivers pending notifications, retrying with capped exponential backoff.

The worker runs ``NOTIFY_CONCURRENCY`` independent delivery slots. A slot claims ONE due row with
``SELECT … FOR UPDATE SKIP LOCKED``, sends it while holding the row lock, records the outcome and
commits — so two slots or two replicas never send one notification at the same time, and a slow
or dead receiver (up to its timeout) occupies one slot only, never the pages behind it. State lives
only in PostgreSQL: a restart resumes where it stopped. A crash after a send but before the commit
means the notification is sent again on the next attempt (at-least-once; webhook receivers
deduplicate on ``X-Nightwatch-Notification-Id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from fastapi import FastAPI

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

# One run_due() slot stops after this many deliveries, so a drain always ends.
MAX_PER_SLOT_RUN = 1000


class DeliveryWorker:
    def __init__(self, settings: NotifySettings) -> None:
        self.concurrency = settings.notify_concurrency
        self.poll_interval = settings.notify_poll_interval_seconds
        self.base_backoff = settings.notify_base_backoff_seconds
        self.max_backoff = settings.notify_max_backoff_seconds
        # One event per slot: a wake reaches every idle slot and none can clear another's.
        self._wakes = [asyncio.Event() for _ in range(self.concurrency)]

    def wake(self) -> None:
        """Deliver now instead of at the next poll (call after committing a new notification)."""
        for event in self._wakes:
            event.set()

    def backoff(self, attempts: int) -> timedelta:
        """Delay after the ``attempts``-th failed attempt: base · 2^(attempts-1), capped."""
        exponent = min(attempts - 1, 60)
        return timedelta(seconds=min(self.max_backoff, self.base_backoff * 2**exponent))

    async def deliver_one(self, app: FastAPI) -> bool:
        """Claim one due notification, attempt it, record the outcome; False when none is due."""
        channels: dict[str, Channel] = app.state.channels
        async with app.state.sessionmaker() as session, session.begin():
            row = await service.claim_next_due(session=session, now=app.state.clock.now())
            if row is None:
                return False
            error, retryable = await _attempt(channels, row)
            self._record(row, error, retryable, now=app.state.clock.now())
        return True

    def _record(
        self, row: Notification, error: str | None, retryable: bool, *, now: datetime
    ) -> None:
        if error is None:
            service.record_delivered(notification=row, now=now)
            NOTIFICATIONS_SENT.labels(row.channel, "delivered").inc()
            return
        retry_after = self.backoff(row.attempts + 1) if retryable else None
        service.record_failed_attempt(
            notification=row, error=error, now=now, retry_after=retry_after
        )
        NOTIFICATIONS_SENT.labels(
            row.channel, "failed" if row.status == "failed" else "retry"
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

    async def run_due(self, app: FastAPI) -> int:
        """Deliver everything due now, ``concurrency`` at a time; return how many were attempted."""

        async def slot() -> int:
            attempted = 0
            while attempted < MAX_PER_SLOT_RUN and await self.deliver_one(app):
                attempted += 1
            return attempted

        return sum(await asyncio.gather(*(slot() for _ in range(self.concurrency))))

    async def worker(self, app: FastAPI) -> None:
        """Run the slots for the app's whole life (a ``create_service_app`` worker)."""
        await asyncio.gather(*(self._slot(app, index) for index in range(self.concurrency)))

    async def _slot(self, app: FastAPI, index: int) -> None:
        wake = self._wakes[index]
        # Slot 0 polls (retries come due without a wake); the others sleep until work shows up.
        timeout = self.poll_interval if index == 0 else None
        while True:
            wake.clear()  # before the claim: a wake during the delivery is not lost
            try:
                delivered = await self.deliver_one(app)
            except Exception:
                # The database may be down: the rows stay pending, try again after a pause.
                log.exception("delivery slot could not run")
                delivered = False
                await asyncio.sleep(self.poll_interval)
            if delivered:
                self.wake()  # there was work: maybe more, bring the idle slots in
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=timeout)


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
