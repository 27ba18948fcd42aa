"""Notification API: accept (store first, deliver by the outbox worker), list, read."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from nightwatch_contracts.notifications import (
    ChannelName,
    IdempotencyKey,
    NotificationCreate,
    Recipient,
)
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import ApiError, NotFound

from nightwatch_notify.channels import KNOWN_CHANNELS, Channel
from nightwatch_notify.channels.base import redact_url
from nightwatch_notify.notifications import service
from nightwatch_notify.notifications.models import Notification
from nightwatch_notify.notifications.schemas import (
    ChannelList,
    ChannelRead,
    NotificationPage,
    NotificationRead,
    Status,
)

router = APIRouter(prefix="/api/v1", tags=["notifications"])

REPLAY_HEADER = "Idempotent-Replayed"


def _read(request: Request, notification: Notification) -> NotificationRead:
    """The API view of a notification: credentials inside a recipient URL are redacted."""
    channel: Channel | None = request.app.state.channels.get(notification.channel)
    recipient = notification.recipient
    if channel is not None:
        recipient = channel.display_recipient(recipient)
    elif recipient.lower().startswith(("http://", "https://")):
        recipient = redact_url(recipient)
    return NotificationRead.model_validate(notification).model_copy(update={"recipient": recipient})


def checked(request: Request, data: NotificationCreate) -> NotificationCreate:
    """422 for a channel that is unknown or not configured, or a recipient it cannot take."""
    channels: dict[str, Channel] = request.app.state.channels
    channel = channels.get(data.channel)
    if channel is None:
        available = sorted(channels)
        state = "is not configured" if data.channel in KNOWN_CHANNELS else "is unknown"
        raise ApiError(
            422,
            f"Channel {data.channel!r} {state}; available channels: {', '.join(available)}",
            code="unknown_channel",
            details={"available_channels": available},
        )
    try:
        recipient = channel.check_recipient(data.recipient)
    except ValueError as exc:
        raise ApiError(
            422,
            f"Invalid recipient for channel {data.channel!r}: {exc}",
            code="invalid_recipient",
        ) from None
    return data.model_copy(update={"recipient": recipient})


@router.post(
    "/notify",
    status_code=202,
    response_model=NotificationRead,
    summary="Accept a notification: stored at once, delivered by the outbox worker",
    responses={422: {"description": "Unknown or unconfigured channel, or invalid recipient"}},
)
async def notify(
    data: NotificationCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    idempotency_key_header: Annotated[
        IdempotencyKey | None, Header(alias="Idempotency-Key")
    ] = None,
) -> NotificationRead:
    if idempotency_key_header is not None:
        if data.idempotency_key is not None and data.idempotency_key != idempotency_key_header:
            raise ApiError(422, "Idempotency-Key header and body idempotency_key differ")
        data = data.model_copy(update={"idempotency_key": idempotency_key_header})
    data = checked(request, data)
    notification, created = await service.create_notification(
        session=session,
        data=data,
        max_attempts=request.app.state.settings.notify_max_attempts,
        now=request.app.state.clock.now(),
    )
    result = _read(request, notification)
    await session.commit()
    if created:
        request.app.state.delivery.wake()
    else:
        response.headers[REPLAY_HEADER] = "true"
    return result


@router.get(
    "/notifications",
    response_model=NotificationPage,
    summary="List notifications, newest first",
)
async def list_notifications(
    request: Request,
    session: SessionDep,
    incident_id: UUID | None = None,
    recipient: Annotated[Recipient | None, Query()] = None,
    channel: Annotated[ChannelName | None, Query()] = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NotificationPage:
    items, total = await service.list_notifications(
        session=session,
        filters=service.NotificationFilters(
            incident_id=incident_id, recipient=recipient, channel=channel, status=status
        ),
        limit=limit,
        offset=offset,
    )
    return NotificationPage(
        items=[_read(request, item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/notifications/channels",
    response_model=ChannelList,
    summary="The channels this deployment can deliver through (configured ones only)",
)
async def list_channels(request: Request) -> ChannelList:
    configured = request.app.state.channels
    return ChannelList(
        default="mock",
        channels=[ChannelRead(name=name, configured=name in configured) for name in KNOWN_CHANNELS],
    )


@router.get(
    "/notifications/{notification_id}",
    response_model=NotificationRead,
    summary="One notification with its delivery state",
    responses={404: {"description": "No such notification"}},
)
async def get_notification(
    notification_id: UUID, request: Request, session: SessionDep
) -> NotificationRead:
    notification = await service.get_notification(session=session, notification_id=notification_id)
    if notification is None:
        raise NotFound("Notification", notification_id)
    return _read(request, notification)
