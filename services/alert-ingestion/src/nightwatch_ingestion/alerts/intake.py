"""POST /api/v1/alerts as a fast lane (nightwatch_core.fast_lane): the hottest route of the system.

A monitoring system pushes thousands of alerts a second; per request, FastAPI's machinery cost
more CPU than storing the alert (docs/benchmarks.md). The lane parses the JSON with orjson,
validates with the same pydantic models as the route, and answers with the same body. Anything
else — another content type, JSON that does not parse, a body that does not validate — falls back
to the regular route in router.py, so error answers are exactly the documented ones.
"""

from __future__ import annotations

import time

import orjson
from fastapi import FastAPI
from nightwatch_core.fast_lane import FastLane, json_content_type, read_body, replay
from pydantic import TypeAdapter, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from nightwatch_ingestion.alerts import flows
from nightwatch_ingestion.alerts.schemas import (
    AlertAccepted,
    AlertBatch,
    AlertCreate,
    BatchAccepted,
)
from nightwatch_ingestion.metrics import ALERT_PROCESSING

_BATCH = TypeAdapter(AlertBatch)


def parse_alerts(body: bytes) -> list[AlertCreate] | AlertCreate | None:
    """The alert or batch in a body, or None when it is not valid (the route then explains why)."""
    try:
        data = orjson.loads(body)
        if isinstance(data, dict):
            return AlertCreate.model_validate(data)
        if isinstance(data, list):
            return _BATCH.validate_python(data)
    except (orjson.JSONDecodeError, ValidationError):
        pass
    return None


async def accept(app: FastAPI, body: list[AlertCreate] | AlertCreate) -> tuple[int, bytes]:
    """Store the alerts; the status (201, or 202 while linking is pending) and the JSON answer."""
    started = time.perf_counter()
    alerts = body if isinstance(body, list) else [body]
    accepted = await flows.accept_alerts(app=app, alerts=alerts)
    pending = sum(1 for a in accepted if a.link_status == "pending")
    answer: AlertAccepted | BatchAccepted = accepted[0]
    if isinstance(body, list):
        answer = BatchAccepted(results=accepted, accepted=len(accepted), pending=pending)
    ALERT_PROCESSING.observe(time.perf_counter() - started)
    return (202 if pending else 201), answer.model_dump_json().encode()


async def post_alerts_lane(scope: Scope, receive: Receive, send: Send, fallback: ASGIApp) -> None:
    body = await read_body(receive)
    alerts = parse_alerts(body) if json_content_type(scope) else None
    if alerts is None:
        await fallback(scope, replay(body), send)
        return
    status, answer = await accept(scope["app"], alerts)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer})


# What the lane does in FastAPI's place: it validates the route's body and nothing else (the app
# refuses to start when the route in router.py declares more; nightwatch_core/fast_lane.py).
POST_ALERTS_LANE = FastLane(post_alerts_lane, body=AlertCreate | AlertBatch)
