"""The outbox worker: delivers pending notifications, retrying with capped exponential backoff.

The worker runs up to ``NOTIFY_CONCURRENCY`` independent delivery slots (an idle slot joins when
another claims work, so one page uses one connection). A slot claims ONE due row with
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
from collections.abc import Callable, Iterator
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
        # Slots grow with the work: a slot that claims a notification brings one idle slot in, so
        # one page uses one connection and a burst uses up to `concurrency`.
        self._wakes = [asyncio.Event() for _ in range(self.concurrency)]
        self._idle: set[int] = set()
        self._missed_wake = False

    def wake(self) -> None:
        """Bring one idle slot in (after committing a new notification, or when one found work)."""
        if self._idle:
            self._wakes[min(self._idle)].set()
        else:
            self._missed_wake = True  # every slot is busy: the next to run out of work looks again

    def backoff(self, attempts: int) -> timedelta:
        """Delay after the ``attempts``-th failed attempt: base · 2^(attempts-1), capped."""
        exponent = min(attempts - 1, 60)
        return timedelta(seconds=min(self.max_backoff, self.base_backoff * 2**exponent))

    async def deliver_one(self, app: FastAPI, on_claim: Callable[[], None] | None = None) -> bool:
        """Claim one due notification, attempt it, record the outcome; False when none is due.

        ``on_claim`` runs once a notification is claimed, before it is sent (to recruit a slot
        for the next one while this one is in flight).
        """
        channels: dict[str, Channel] = app.state.channels
        async with app.state.sessionmaker() as session, session.begin():
            row = await service.claim_next_due(session=session, now=app.state.clock.now())
            if row is None:
                return False
            if on_claim is not None:
                on_claim()
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
        """Deliver everything due now, up to ``concurrency`` at a time; return how many."""
        attempted = 0
        tasks: list[asyncio.Task[None]] = []

        def recruit() -> None:
            if len(tasks) < self.concurrency:
                tasks.append(asyncio.create_task(slot()))

        async def slot() -> None:
            nonlocal attempted
            for _ in range(MAX_PER_SLOT_RUN):
                if not await self.deliver_one(app, on_claim=recruit):
                    return
                attempted += 1

        recruit()
        try:
            for task in iter_growing(tasks):
                await task
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return attempted

    async def worker(self, app: FastAPI) -> None:
        """Run the slots for the app's whole life (a ``create_service_app`` worker)."""
        await asyncio.gather(*(self._slot(app, index) for index in range(self.concurrency)))

    async def _slot(self, app: FastAPI, index: int) -> None:
        wake = self._wakes[index]
        # Slot 0 polls often (retries come due without a wake); the others rarely, as a backstop.
        timeout = self.poll_interval if index == 0 else self.poll_interval * 10
        claim = index == 0  # the others start asleep: no burst of connections at startup
        while True:
            if claim:
                wake.clear()  # before the claim: a wake during the delivery is not lost
                try:
                    delivered = await self.deliver_one(app, on_claim=self.wake)
                except Exception:
                    # The database may be down: the rows stay pending, try again after a pause.
                    log.exception("delivery slot could not run")
                    delivered = False
                    await asyncio.sleep(self.poll_interval)
                if delivered:
                    continue
                if self._missed_wake:
                    self._missed_wake = False
                    continue
            claim = True
            self._idle.add(index)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=timeout)
            finally:
                self._idle.discard(index)


def iter_growing(items: list[asyncio.Task[None]]) -> Iterator[asyncio.Task[None]]:
    """Iterate a list that may grow while it is iterated (slots recruit slots)."""
    index = 0
    while index < len(items):
        yield items[index]
        index += 1


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
