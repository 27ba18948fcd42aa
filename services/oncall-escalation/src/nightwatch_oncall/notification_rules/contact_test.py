""" "Send me a test notification" for one contact method: queued as a durable job in the same
transaction as the request (oncall.jobs), sent by the page workers to notification's
``POST /api/v1/notify`` on the channel a real page would use. Nothing accepted is lost: while
notification is down the job is retried; a refusal (e.g. a channel that is not configured) keeps
it as a dead job with the reason."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from nightwatch_core.jobs import PermanentJobError, enqueue
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.escalation.senders import error_text, worth_retrying
from nightwatch_oncall.escalation.steps import JOB_SCHEMA
from nightwatch_oncall.escalation.targets import channel_of
from nightwatch_oncall.notification_rules.schemas import ContactMethodTestRead
from nightwatch_oncall.people.models import ContactMethod, User

CONTACT_TEST_JOB = "contact_method_test"


async def queue_test(
    *, session: AsyncSession, user: User, method: ContactMethod, actor: str, now: datetime
) -> ContactMethodTestRead:
    channel = channel_of(method.type)
    key = f"contact-test:{method.id}:{uuid.uuid4().hex[:12]}"
    payload = {
        "recipient": method.address,
        "channel": channel,
        "subject": f"[Nightwatch] Test notification for {user.name}"[:200],
        "message": f"A test notification sent by {actor} to check {user.name}'s {method.type} "
        f"({method.address}). No action needed.",
        "idempotency_key": key,
    }
    await enqueue(
        session,
        schema=JOB_SCHEMA,
        kind=CONTACT_TEST_JOB,
        payload=payload,
        run_at=now,
        dedup_key=key,
    )
    return ContactMethodTestRead(
        contact_method_id=method.id,
        channel=channel,
        recipient=method.address,
        idempotency_key=key,
        status="queued",
    )


async def send_test(*, app: FastAPI, session: AsyncSession, payload: dict[str, Any]) -> None:
    """Job handler: one test notification (notification deduplicates on the idempotency key)."""
    response = await app.state.escalation.notification.post(
        "/api/v1/notify", json=payload, idempotency_key=payload["idempotency_key"]
    )
    if response.is_success:
        return
    if worth_retrying(response.status_code):
        raise RuntimeError(f"notification service: {error_text(response)}")
    raise PermanentJobError(f"notification refused the test notification: {error_text(response)}")
