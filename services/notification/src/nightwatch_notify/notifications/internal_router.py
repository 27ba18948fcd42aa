"""Service-to-service intake (`/internal/v1`, never proxied by the gateway): many notifications in
one call, so an escalation storm costs one request per batch of pages instead of one per page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from nightwatch_contracts.notifications import (
    BatchItemError,
    BatchItemResult,
    NotificationBatch,
    NotificationBatchResult,
    NotificationCreate,
)
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import ApiError
from pydantic import ValidationError

from nightwatch_notify.notifications import service
from nightwatch_notify.notifications.router import checked

internal_router = APIRouter(prefix="/internal/v1", tags=["internal"])


def _refused(status: int, code: str, message: str) -> BatchItemResult:
    return BatchItemResult(status=status, error=BatchItemError(code=code, message=message))


@internal_router.post("/notifications/batch", response_model=NotificationBatchResult)
async def notify_batch(
    body: NotificationBatch, request: Request, session: SessionDep
) -> NotificationBatchResult:
    """Each item as `POST /api/v1/notify` would take it (same checks, same idempotency per key),
    stored with one INSERT; its result is 202 (`replayed` for a known key) or the 422 it would
    get alone. Delivery is the outbox worker's, as for a single notification."""
    results: list[BatchItemResult | None] = []
    accepted: list[NotificationCreate] = []
    for raw in body.notifications:
        try:
            accepted.append(checked(request, NotificationCreate.model_validate(raw)))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                for error in exc.errors()
            )
            results.append(_refused(422, "validation_error", f"Invalid notification: {problems}"))
        except ApiError as exc:
            results.append(_refused(exc.status_code, exc.code, exc.message))
        else:
            results.append(None)
    stored = iter(
        await service.create_notifications(
            session=session,
            items=accepted,
            max_attempts=request.app.state.settings.notify_max_attempts,
            now=request.app.state.clock.now(),
        )
        if accepted
        else []
    )
    await session.commit()
    answers = []
    for result in results:
        if result is None:
            notification_id, created = next(stored)
            result = BatchItemResult(status=202, id=notification_id, replayed=not created)
        answers.append(result)
    if any(answer.status == 202 and not answer.replayed for answer in answers):
        request.app.state.delivery.wake()
    return NotificationBatchResult(results=answers)
