"""Accepting alerts: placed by incident-management, then stored — or stored as pending.

incident-management decides which incident each alert joins (it owns the incidents and their
lifecycle, so the decision and "is that incident still open?" are one transaction). Ingestion
asks it once per batch, waiting at most ``INCIDENT_CREATE_TIMEOUT_SECONDS``, and stores the
alerts with the answer. When it cannot be reached the alerts are stored as pending, with their
batch in ``ingestion.link_queue``; the link worker (workers.py) sends that same batch later.
Either way every alert is committed before it is answered.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI
from nightwatch_core.errors import DatabaseUnavailable
from nightwatch_core.ids import uuid7

from nightwatch_ingestion.alerts import placement, store
from nightwatch_ingestion.alerts.fingerprint import fingerprint, of_dedup_key
from nightwatch_ingestion.alerts.placement import IncidentCallFailed, Origin, Placed, Prepared
from nightwatch_ingestion.alerts.schemas import (
    AlertAccepted,
    AlertCreate,
    CorrelationResult,
    SuppressedBy,
)
from nightwatch_ingestion.metrics import (
    count_alerts,
    count_received,
    count_routed,
    count_suppressed,
)
from nightwatch_ingestion.routing.engine import RoutingTable
from nightwatch_ingestion.settings import IngestionSettings
from nightwatch_ingestion.suppression.cache import Suppression

log = logging.getLogger("nightwatch.ingestion")

# What a database that is down or unreachable raises on the raw pool (answered 503).
DATABASE_DOWN = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


def settings_of(app: FastAPI) -> IngestionSettings:
    settings: IngestionSettings = app.state.settings
    return settings


def prepare(
    alert: AlertCreate,
    *,
    routing: RoutingTable,
    now: datetime,
    origin: Origin | None = None,
) -> Prepared:
    """A validated alert ready to place and store, routed (its team, severity and labels as the
    rules say; the fingerprint is the alert's as sent); ``origin`` when an integration sent it."""
    if origin is not None:
        identity = origin.fingerprint
    elif alert.dedup_key is not None:
        identity = of_dedup_key(alert.dedup_key)
    else:
        identity = fingerprint(
            service=alert.service,
            severity=alert.severity.value,
            message=alert.message,
            labels=alert.labels,
        )
    event = origin.event if origin else ("resolve" if alert.status == "resolved" else "trigger")
    routed = routing.route(
        service=alert.service,
        severity=alert.severity.value,
        labels=alert.labels,
        integration_team=origin.default_team if origin else None,
    )
    return Prepared(
        alert_id=uuid7(),
        service=alert.service,
        severity=routed.severity,
        fingerprint=identity,
        message=alert.message,
        labels=routed.labels,
        labels_json=orjson.dumps(routed.labels).decode(),
        timestamp=alert.timestamp,
        team=routed.team,
        received_at=now,
        event=event,
        routed_by=routed.routed_by,
        unrouted=routed.unrouted,
        # resolves and acknowledgements always pass: an open incident still hears its source
        suppressed_by_rule=(
            routed.suppressed_by.id if routed.suppressed_by and event == "trigger" else None
        ),
        **(origin.fields() if origin else {}),
    )


async def accept_alerts(*, app: FastAPI, alerts: list[AlertCreate]) -> list[AlertAccepted]:
    """Store alerts durably and answer for each: a single alert shares its call and statement
    with concurrent requests; a batch is sent in calls bounded in size."""
    now = app.state.clock.now()
    routing = app.state.routing.table
    return await accept_prepared(
        app=app, prepared=[prepare(alert, routing=routing, now=now) for alert in alerts]
    )


async def accept_prepared(*, app: FastAPI, prepared: list[Prepared]) -> list[AlertAccepted]:
    """Store prepared alerts (from the API or an integration) durably; the answer for each.

    Alerts an active silence or maintenance window, or a routing rule, holds back (decided in
    memory) are stored as suppressed and never sent to incident-management."""
    held = app.state.suppression.split(prepared, now=app.state.clock.now())
    for alert in prepared:
        if alert.suppressed_by_rule is not None and alert.alert_id not in held:
            held[alert.alert_id] = Suppression("routing", alert.suppressed_by_rule)
    to_place = [a for a in prepared if a.alert_id not in held] if held else prepared
    await _store_held(app, prepared, held)
    placed: dict[uuid.UUID, Placed | None] = {}
    if len(to_place) == 1:
        placed[to_place[0].alert_id] = await app.state.placement_coalescer.submit(to_place[0])
    elif to_place:
        for chunk in placement.chunks(to_place):
            for alert_id, outcome in (await place_and_store(app, chunk)).items():
                if isinstance(outcome, BaseException):
                    raise outcome
                placed[alert_id] = outcome
    count_received(a.severity for a in prepared if a.event == "trigger")
    count_alerts(p.result.value for p in placed.values() if p is not None)
    count_suppressed(why.kind for why in held.values())
    count_routed(prepared)
    return [
        _suppressed_answer(alert, held[alert.alert_id])
        if alert.alert_id in held
        else AlertAccepted(
            alert_id=alert.alert_id,
            id=alert.alert_id,
            fingerprint=alert.fingerprint,
            incident_id=where.incident_id if where else None,
            result=where.result if where else None,
            link_status="linked" if where else "pending",
        )
        for alert in prepared
        for where in (placed.get(alert.alert_id),)
    ]


def _suppressed_answer(alert: Prepared, why: Suppression) -> AlertAccepted:
    return AlertAccepted(
        alert_id=alert.alert_id,
        id=alert.alert_id,
        fingerprint=alert.fingerprint,
        incident_id=None,
        result=CorrelationResult.suppressed,
        link_status="suppressed",
        suppressed_by=SuppressedBy(kind=why.kind, id=why.id),
    )


Held = tuple[Prepared, Suppression]


async def _store_held(
    app: FastAPI, prepared: list[Prepared], held: dict[uuid.UUID, Suppression]
) -> None:
    """Store the suppressed alerts (a single one shares its statement with concurrent requests,
    like a placed one); a resolve also resolves suppressed alerts of its fingerprint. No
    statement when there is neither (the common case)."""
    batch = [(alert, held[alert.alert_id]) for alert in prepared if alert.alert_id in held]
    if len(batch) == 1:
        await app.state.held_coalescer.submit(batch[0])
    elif batch:
        await store_held(app, batch)
    resolves = [a for a in prepared if a.event == "resolve"]
    if resolves:
        try:
            async with _connection(app) as conn:
                await store.resolve_suppressed(conn, resolves=resolves)
        except DATABASE_DOWN:
            raise DatabaseUnavailable() from None


async def store_held(app: FastAPI, batch: list[Held]) -> list[None]:
    """One statement for held-back alerts (the held coalescer's flush, or one request's batch)."""
    try:
        async with _connection(app) as conn:
            await store.insert_suppressed(
                conn,
                alerts=[alert for alert, _ in batch],
                why=[(why.kind, why.id) for _, why in batch],
            )
    except DATABASE_DOWN:
        raise DatabaseUnavailable() from None
    return [None] * len(batch)


def _connection(app: FastAPI) -> Any:
    return app.state.db_pool.acquire(timeout=settings_of(app).db_connect_timeout_seconds)


Outcome = Placed | None | BaseException


async def place_and_store(app: FastAPI, alerts: list[Prepared]) -> dict[uuid.UUID, Outcome]:
    """Ask incident-management (once, briefly), then store the alerts with the answer — or as
    pending when there was none. Returns each alert's placement (None: pending; an exception:
    PostgreSQL refused to store that alert)."""
    batch_id = uuid7()
    try:
        placed: dict[uuid.UUID, Placed] | None = await placement.place(
            app.state.inline_incident_client, batch_id=batch_id, alerts=alerts
        )
        error = ""
    except IncidentCallFailed as exc:
        log.warning("alerts stored as pending; the link worker will place them: %s", exc)
        placed, error = None, str(exc)
    pool = app.state.db_pool
    outcomes: dict[uuid.UUID, Outcome] | None = None
    try:
        async with pool.acquire(timeout=settings_of(app).db_connect_timeout_seconds) as conn:
            if placed is not None:
                outcomes = await _store_linked(
                    conn, alerts, placed, linked_at=app.state.clock.now()
                )
            else:
                await store.insert_pending(
                    conn, alerts=alerts, batch_id=batch_id, now=app.state.clock.now(), error=error
                )
    except DATABASE_DOWN:
        raise DatabaseUnavailable() from None
    # Stored: the consoles hear of it (sent on the connection just released, not a second one).
    app.state.change_signal.signal()
    if outcomes is not None:
        return outcomes
    app.state.link_worker.wake()
    return dict.fromkeys((a.alert_id for a in alerts), None)


async def _store_linked(
    conn: asyncpg.Connection,
    alerts: list[Prepared],
    placed: dict[uuid.UUID, Placed],
    *,
    linked_at: datetime,
) -> dict[uuid.UUID, Outcome]:
    """One statement for all; if PostgreSQL refuses it, each alert alone, so one alert it refuses
    does not fail the requests sharing its statement."""
    outcomes: dict[uuid.UUID, Outcome] = dict(placed)
    try:
        await store.insert_linked(conn, alerts=alerts, placed=placed, linked_at=linked_at)
    except asyncpg.PostgresError as exc:
        if isinstance(exc, asyncpg.PostgresConnectionError) or len(alerts) == 1:
            raise
        for alert in alerts:
            try:
                await store.insert_linked(conn, alerts=[alert], placed=placed, linked_at=linked_at)
            except asyncpg.PostgresError as refused:
                outcomes[alert.alert_id] = refused
    return outcomes
