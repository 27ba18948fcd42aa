"""The outbox worker: delivers pending notifications, retrying with capped exponential backoff.

The worker runs up to ``NOTIFY_CONCURRENCY`` independent delivery slots (an idle slot joins when
another claims work). A slot claims up to ``NOTIFY_BATCH_SIZE`` due rows under a lease with one
statement (``outbox.py``: ``FOR UPDATE SKIP LOCKED``, then the lease keeps them from every other
slot and replica), sends them concurrently, and records each outcome as it completes; outcomes
that complete together share one statement. So two slots or two replicas never send one
notification at the same time, a storm of pages costs a statement per batch instead of a
transaction per page, and a slow or dead receiver (up to its timeout) delays only the recording of
its own notification, never the others'. State lives only in PostgreSQL: a restart resumes where
it stopped. A crash after a send but before its record means the notification is sent again when
its lease ends (at-least-once; webhook receivers deduplicate on ``X-Nightwatch-Notification-Id``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

from fastapi import FastAPI
from nightwatch_core.backoff import Backoff
from nightwatch_core.coalescing import Coalescer
from nightwatch_core.polling import PollingWorker

from nightwatch_notify.channels import (
    Channel,
    DeliveryError,
    OutgoingNotification,
    PermanentDeliveryError,
)
from nightwatch_notify.metrics import NOTIFICATIONS_SENT
from nightwatch_notify.notifications import outbox
from nightwatch_notify.settings import NotifySettings

log = logging.getLogger("nightwatch.notify.worker")

Outcome = tuple[str | None, bool]  # (error, retryable); (None, _) means delivered

# run_due() stops after this many deliveries, so a drain always ends.
MAX_PER_RUN = 10_000
# A claimed notification is not due for anyone else for its channel's timeout plus this margin.
LEASE_MARGIN_SECONDS = 30.0


class DeliveryWorker:
    def __init__(self, settings: NotifySettings) -> None:
        self.concurrency = settings.notify_concurrency
        poll = settings.notify_poll_interval_seconds
        self.backoff = Backoff(
            settings.notify_base_backoff_seconds, settings.notify_max_backoff_seconds
        )
        self.batch_size = settings.notify_batch_size
        longest = max(
            settings.webhook_timeout_seconds,
            settings.slack_timeout_seconds,
            settings.smtp_timeout_seconds,
        )
        self.lease = timedelta(seconds=longest + LEASE_MARGIN_SECONDS)
        # Slots grow with the work: a slot that claims a notification brings one idle slot in, so
        # one page uses one connection and a burst uses up to `concurrency`. Slot 0 polls often
        # (retries come due without a wake); the others rarely, as a backstop, and start asleep:
        # no burst of connections at startup.
        self.slots = [
            DeliverySlot(self, poll_interval=poll if index == 0 else poll * 10, first=index == 0)
            for index in range(self.concurrency)
        ]

    def wake(self) -> None:
        """Bring one idle slot in (after committing a new notification, or when one found work).
        Every slot busy: slot 0 keeps the wake-up and looks again after its batch."""
        idle = [slot for slot in self.slots if slot.idle]
        (idle[0] if idle else self.slots[0]).wake()

    async def deliver_batch(self, app: FastAPI, on_claim: Callable[[], None] | None = None) -> int:
        """Claim due notifications, attempt them concurrently, record each outcome; how many
        were claimed (0 when none is due).

        ``on_claim`` runs once notifications are claimed, before they are sent (to recruit a
        slot for the next ones while these are in flight).
        """
        channels: dict[str, Channel] = app.state.channels
        async with app.state.db_pool.acquire() as conn:
            claimed = await outbox.claim(
                conn, now=app.state.clock.now(), lease=self.lease, limit=self.batch_size
            )
        if not claimed:
            return 0
        if on_claim is not None:
            on_claim()

        async def record(attempts: list[outbox.Attempt]) -> list[BaseException | None]:
            async with app.state.db_pool.acquire() as conn:
                await outbox.record(conn, attempts=attempts, now=app.state.clock.now())
            return [None] * len(attempts)

        recorder = Coalescer[outbox.Attempt, None](record)

        async def deliver(row: outbox.Claimed) -> None:
            error, retryable = await _attempt(channels, row)
            retry_after = self.backoff.delay(row.attempts + 1) if retryable else None
            now = app.state.clock.now()
            attempt = outbox.outcome(row, error, retry_after=retry_after, now=now)
            await recorder.submit(attempt)
            _count(attempt)

        await asyncio.gather(*(deliver(row) for row in claimed))
        return len(claimed)

    async def run_due(self, app: FastAPI) -> int:
        """Deliver everything due now, up to ``concurrency`` at a time; return how many."""
        attempted = 0
        tasks: list[asyncio.Task[None]] = []

        def recruit() -> None:
            if len(tasks) < self.concurrency:
                tasks.append(asyncio.create_task(slot()))

        async def slot() -> None:
            nonlocal attempted
            while attempted < MAX_PER_RUN:
                claimed = await self.deliver_batch(app, on_claim=recruit)
                if not claimed:
                    return
                attempted += claimed

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
        await asyncio.gather(*(slot.worker(app) for slot in self.slots))


class DeliverySlot(PollingWorker):
    """One delivery slot: a batch at a time, again at once while it finds work (a claim wakes
    one more idle slot). A failed batch (the database is down) leaves its rows pending."""

    def __init__(self, owner: DeliveryWorker, *, poll_interval: float, first: bool) -> None:
        super().__init__(batch_size=1, poll_interval=poll_interval, start_idle=not first)
        self.owner = owner

    async def run_due(self, app: FastAPI) -> int:
        return await self.owner.deliver_batch(app, on_claim=self.owner.wake)


def iter_growing(items: list[asyncio.Task[None]]) -> Iterator[asyncio.Task[None]]:
    """Iterate a list that may grow while it is iterated (slots recruit slots)."""
    index = 0
    while index < len(items):
        yield items[index]
        index += 1


def _count(attempt: outbox.Attempt) -> None:
    row = attempt.claimed
    status = "retry" if attempt.status == "pending" else attempt.status
    NOTIFICATIONS_SENT.labels(row.channel, status).inc()
    if attempt.error is not None:
        log.warning(
            "notification attempt failed",
            extra={
                "notification_id": str(row.id),
                "channel": row.channel,
                "attempts": row.attempts + 1,
                "status": attempt.status,
                "error": attempt.error[:300],
            },
        )


async def _attempt(channels: dict[str, Channel], row: outbox.Claimed) -> Outcome:
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
