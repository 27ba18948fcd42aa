"""Job handlers that send what the steps queued, a batch per call (``oncall.jobs``):

- pages -> notification ``POST /internal/v1/notifications/batch``: one call for every page claimed
  together, each with its own idempotency key, so a retry or a second replica never sends one twice.
  The escalation rows are read ``FOR SHARE`` during the call, so a stop waits for the pages in
  flight and no page goes out after a stop.
- timeline entries -> incident-management ``POST /internal/v1/incidents/timeline/batch`` (dedup per
  entry there).

A neighbour that is down (5xx, no connection, 404 during a rolling deploy, 429) fails the whole batch,
which the job queue retries with backoff; an item the neighbour refuses is handled on its own.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from nightwatch_contracts.notifications import NotificationCreate
from nightwatch_contracts.sending import ValidationError, checked_body
from nightwatch_contracts.timeline import TimelineBatch, TimelineCreate
from nightwatch_core.jobs import NewJob, PermanentJobError, enqueue_many
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.escalation import service
from nightwatch_oncall.escalation.metrics import (
    NOTIFICATION_RULE_STEPS,
    ONCALL_NOTIFICATIONS_SENT,
    QUIET_HOURS_HELD,
)
from nightwatch_oncall.escalation.steps import JOB_SCHEMA, PAGE_JOB, new_event, timeline_job
from nightwatch_oncall.escalation.targets import MOCK_CHANNEL

NOTIFY_BATCH_ROUTE = "/internal/v1/notifications/batch"
TIMELINE_BATCH_ROUTE = "/internal/v1/incidents/timeline/batch"
PAGE_FIELDS = ("recipient", "channel", "subject", "message", "incident_id", "idempotency_key")
# Sent only when set: which personal notification rule sent the page (shown in the list).
RULE_FIELDS = ("notification_rule_id", "notification_rule")
ENTRY_FIELDS = ("incident_id", "event_type", "actor", "message", "data", "dedup_key")


def page_body(payload: dict[str, Any]) -> dict[str, Any]:
    """A page job's notification, as notification's ``NotificationCreate`` takes it (with the
    notification rule that sent it, when one did)."""
    body = {name: payload[name] for name in PAGE_FIELDS}
    body.update({name: payload[name] for name in RULE_FIELDS if payload.get(name)})
    return body


def timeline_entry(payload: dict[str, Any]) -> dict[str, Any]:
    """A timeline job's entry, as incident management's ``TimelineBatchEntry`` takes it."""
    return {name: payload[name] for name in ENTRY_FIELDS}


def worth_retrying(status: int) -> bool:
    # 404 too: during a rolling deploy the neighbour's route may not exist yet.
    return status >= 500 or status in (404, 408, 425, 429)


def error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
    except ValueError:
        message = None
    return str(message or response.text[:300])


def error_text(response: httpx.Response) -> str:
    return f"HTTP {response.status_code}: {error_message(response)}"


def _results(response: httpx.Response, what: str, expected: int) -> list[dict[str, Any]]:
    """The per-item answers of a batch call; anything else is raised (the batch is retried)."""
    if not response.is_success:
        raise RuntimeError(f"{what}: {error_text(response)}")
    results = response.json().get("results")
    if not isinstance(results, list) or len(results) != expected:
        raise RuntimeError(f"{what}: answered {expected} items with {results!r:.200}")
    return results


# ---------------------------------------------------------------- pages


async def send_pages(
    *, app: FastAPI, session: AsyncSession, payloads: list[dict[str, Any]]
) -> list[Exception | None]:
    """Batch job: send the pages still queued; record each one sent or refused."""
    keys = [payload["idempotency_key"] for payload in payloads]
    rows = (
        await session.execute(
            text(
                "SELECT p.id, p.idempotency_key, p.status AS page_status, "
                "e.status AS escalation_status FROM oncall.escalation_pages p "
                "JOIN oncall.escalations e USING (incident_id) "
                "WHERE p.idempotency_key = ANY(:keys) ORDER BY e.incident_id FOR SHARE OF e"
            ),
            {"keys": keys},
        )
    ).all()
    sendable = {
        row.idempotency_key: row.id
        for row in rows
        if row.page_status == "queued" and row.escalation_status != "stopped"
    }
    # A repeated key (never expected) is sent once; everything else is done as it is.
    to_send = list(
        {p["idempotency_key"]: p for p in payloads if p["idempotency_key"] in sendable}.values()
    )
    if not to_send:
        return [None] * len(payloads)
    bodies = [page_body(p) for p in to_send]
    try:
        checked = [checked_body(NotificationCreate, body) for body in bodies]
    except ValidationError:  # one page notification would refuse: each on its own, as for a 404
        results = [await _notify_one(app, body) for body in bodies]
    else:
        response = await app.state.escalation.notification.post(
            NOTIFY_BATCH_ROUTE,
            json={"notifications": checked},
            idempotency_key=f"pages:{to_send[0]['idempotency_key']}:{len(to_send)}",
        )
        if response.status_code == 404:  # a notification without the batch route (rolling deploy)
            results = [await _notify_one(app, body) for body in checked]
        else:
            results = _results(response, "notification service", len(to_send))
    now = app.state.clock.now()
    sent: list[tuple[int, str | None]] = []
    jobs: list[NewJob] = []
    channels: Counter[str] = Counter()
    for payload, result in zip(to_send, results, strict=True):
        status = int(result.get("status", 0))
        page_id = sendable[payload["idempotency_key"]]
        if 200 <= status < 300:
            notification_id = result.get("id")
            sent.append((page_id, str(notification_id) if notification_id else None))
            channels[payload["channel"]] += 1
            jobs.append(_sent_entry(payload, notification_id, now))
            _count_rule(payload)
        elif worth_retrying(status):
            raise RuntimeError(f"notification service: item answered {status}")
        else:
            message = (result.get("error") or {}).get("message") or "refused"
            await _record_refused(
                session,
                page_id=page_id,
                payload=payload,
                error=f"HTTP {status}: {message}",
                now=now,
            )
    if sent:
        await session.execute(
            text(
                "UPDATE oncall.escalation_pages p SET status = 'sent', sent_at = :now, "
                "notification_id = t.nid, last_error = NULL "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:nids AS text[])) AS t(id, nid) "
                "WHERE p.id = t.id"
            ),
            {"now": now, "ids": [s[0] for s in sent], "nids": [s[1] for s in sent]},
        )
    await enqueue_many(session, schema=JOB_SCHEMA, jobs=jobs)
    for channel, count in channels.items():
        ONCALL_NOTIFICATIONS_SENT.labels(channel).inc(count)
    return [None] * len(payloads)


def _count_rule(payload: dict[str, Any]) -> None:
    if payload.get("notification_rule_id"):
        NOTIFICATION_RULE_STEPS.labels(payload.get("urgency", "high")).inc()
    if payload.get("quiet_hours"):
        QUIET_HOURS_HELD.inc()


async def _notify_one(app: FastAPI, body: dict[str, Any]) -> dict[str, Any]:
    """One page through ``POST /api/v1/notify``, answered as an item of the batch route."""
    try:
        body = checked_body(NotificationCreate, body)
    except ValidationError as exc:  # refused here as notification would: a 422, not a call
        return {"status": 422, "error": {"message": str(exc)}}
    response = await app.state.escalation.notification.post(
        "/api/v1/notify", json=body, idempotency_key=body["idempotency_key"]
    )
    if response.is_success:
        return {"status": response.status_code, "id": response.json().get("id")}
    if worth_retrying(response.status_code):
        raise RuntimeError(f"notification service: {error_text(response)}")
    return {"status": response.status_code, "error": {"message": error_message(response)}}


def _sent_entry(payload: dict[str, Any], notification_id: Any, now: datetime) -> NewJob:
    rule = payload.get("notification_rule")
    return timeline_job(
        incident_id=uuid.UUID(payload["incident_id"]),
        event_type="notification_sent",
        message=f"Paged {payload['user_name']} via {payload['channel']}"
        + (f" (rule: {rule})" if rule else ""),
        dedup_key=f"{payload['idempotency_key']}:sent",
        now=now,
        data={
            "recipient": payload["recipient"],
            "channel": payload["channel"],
            "notification_id": notification_id,
            "notification_rule_id": payload.get("notification_rule_id"),
            "notification_rule": rule,
        },
    )


async def _record_refused(
    session: AsyncSession, *, page_id: int, payload: dict[str, Any], error: str, now: datetime
) -> None:
    """A page notification refused (4xx): failed, with the reason, in the history and timeline;
    on any channel but mock the person is paged through mock instead."""
    key = payload["idempotency_key"]
    incident_id = uuid.UUID(payload["incident_id"])
    await session.execute(
        text(
            "UPDATE oncall.escalation_pages SET status = 'failed', last_error = :error WHERE id = :id"
        ),
        {"error": error, "id": page_id},
    )
    escalation = await service.get_escalation(session=session, incident_id=incident_id)
    assert escalation is not None
    message = f"Could not page {payload['user_name']} via {payload['channel']}: {error}"
    jobs = []
    if payload["channel"] != MOCK_CHANNEL:
        # An unconfigured or refusing channel must not make the person vanish from the page:
        # page them through mock too, so the page is recorded and visible in the notifications.
        jobs.append(await _fall_back_to_mock(session, page_id=page_id, payload=payload, now=now))
        message += "; paged through the mock channel instead"
    session.add(new_event(escalation, now, "page_failed", message, data={"key": key}))
    jobs.append(
        timeline_job(
            incident_id=incident_id,
            event_type="notification_failed",
            message=message,
            dedup_key=f"{key}:failed",
            now=now,
        )
    )
    await enqueue_many(session, schema=JOB_SCHEMA, jobs=jobs)


async def _fall_back_to_mock(
    session: AsyncSession, *, page_id: int, payload: dict[str, Any], now: datetime
) -> NewJob:
    key = f"{payload['idempotency_key']}:mock"
    await session.execute(
        text(
            "INSERT INTO oncall.escalation_pages (incident_id, step, level, round, user_id, "
            "user_name, channel, recipient, idempotency_key, status, created_at, "
            "notification_rule_id, notification_rule, due_at) "
            "SELECT incident_id, step, level, round, user_id, user_name, :channel, recipient, "
            ":key, 'queued', :now, notification_rule_id, notification_rule, :now "
            "FROM oncall.escalation_pages WHERE id = :id "
            "ON CONFLICT (idempotency_key) DO NOTHING"
        ),
        {"channel": MOCK_CHANNEL, "key": key, "now": now, "id": page_id},
    )
    return NewJob(
        kind=PAGE_JOB,
        payload=payload | {"channel": MOCK_CHANNEL, "idempotency_key": key},
        run_at=now,
        dedup_key=key,
    )


# ---------------------------------------------------------------- timeline


async def post_timelines(
    *, app: FastAPI, session: AsyncSession, payloads: list[dict[str, Any]]
) -> list[Exception | None]:
    """Batch job: add entries to their incidents' timelines (deduplicated there per entry)."""
    entries = [timeline_entry(p) for p in payloads]
    try:
        body = checked_body(TimelineBatch, {"entries": entries})
    except ValidationError:  # one entry incident-management would refuse: find it, one by one
        return [await _post_one(app, payload) for payload in payloads]
    response = await app.state.escalation.incidents.post(
        TIMELINE_BATCH_ROUTE,
        json=body,
        idempotency_key=f"timeline:{payloads[0]['dedup_key']}:{len(payloads)}",
    )
    if response.status_code in (400, 404, 422):
        # One entry incident-management refuses must not hold back the others (find it), and a
        # version without the batch route (404, a rolling deploy) still takes them one by one.
        return [await _post_one(app, payload) for payload in payloads]
    outcomes: list[Exception | None] = []
    for result in _results(response, "incident-management", len(payloads)):
        status = int(result.get("status", 0))
        # 404: unknown incident; retried (about an hour), as the single route's 404 always was.
        outcomes.append(None if 200 <= status < 300 else _failure(status, "entry"))
    return outcomes


async def _post_one(app: FastAPI, payload: dict[str, Any]) -> Exception | None:
    entry = timeline_entry(payload)
    del entry["incident_id"]
    try:
        body = checked_body(TimelineCreate, entry)
    except ValidationError as exc:
        return _failure(422, str(exc))
    response = await app.state.escalation.incidents.post(
        f"/internal/v1/incidents/{payload['incident_id']}/timeline",
        json=body,
        idempotency_key=payload["dedup_key"],
    )
    return None if response.is_success else _failure(response.status_code, error_text(response))


def _failure(status: int, detail: str) -> Exception:
    if worth_retrying(status):
        return RuntimeError(f"incident-management: HTTP {status}: {detail}")
    return PermanentJobError(f"incident-management refused the entry: HTTP {status}: {detail}")
