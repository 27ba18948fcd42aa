"""`GET /api/v1/incidents/events`: a server-sent event stream of incident and alert changes.

Each event names what changed (`incidents`, `alerts`, or `resync`: refetch everything); the
console refetches what it shows. The stream opens with `ready`, sends a comment line every
``EVENT_STREAM_HEARTBEAT_SECONDS`` while idle, and ends when this process loses its LISTEN
connection (the console then falls back to polling and reconnects with backoff).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from nightwatch_core.errors import ApiError
from starlette.background import BackgroundTask

from nightwatch_incidents.events.hub import ChangeHub, StreamsFull, Subscriber

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

_STREAM_HEADERS = {
    "Cache-Control": "no-cache",
    # nginx (and other proxies that honour it) must pass each event on at once.
    "X-Accel-Buffering": "no",
}


def _event(kind: str, data: dict[str, object]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


async def _stream(
    subscriber: Subscriber, hub: ChangeHub, heartbeat: float, retry_ms: int
) -> AsyncIterator[bytes]:
    try:
        yield f"retry: {retry_ms}\n".encode() + _event("ready", {"kinds": ["incidents", "alerts"]})
        while not subscriber.closed:
            try:
                await asyncio.wait_for(subscriber.wake.wait(), heartbeat)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if subscriber.closed:
                return
            yield b"".join(_event(kind, {"kind": kind}) for kind in subscriber.take())
    finally:
        hub.unsubscribe(subscriber)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent events: `ready`, then `incidents` / `alerts` / `resync`",
        },
        503: {"description": "Not listening to the database right now, or too many streams"},
    },
)
async def incident_events(request: Request) -> StreamingResponse:
    """Push updates for the console: one event per kind of change (coalesced), as they commit."""
    hub: ChangeHub = request.app.state.change_hub
    settings = request.app.state.settings
    if not hub.listening:
        raise ApiError(
            503,
            "Live updates are not available right now (no database connection); poll instead",
            code="events_unavailable",
            headers={"Retry-After": "5"},
        )
    try:
        subscriber = hub.subscribe()
    except StreamsFull:
        raise ApiError(
            503,
            f"This server already streams to {settings.event_stream_max_clients} clients; "
            "poll instead",
            code="too_many_streams",
            headers={"Retry-After": "30"},
        ) from None
    return StreamingResponse(
        _stream(subscriber, hub, settings.event_stream_heartbeat_seconds, retry_ms=3000),
        media_type="text/event-stream",
        headers=_STREAM_HEADERS,
        # Also when the stream never started (the client left at once): no subscriber leaks.
        background=BackgroundTask(hub.unsubscribe, subscriber),
    )
