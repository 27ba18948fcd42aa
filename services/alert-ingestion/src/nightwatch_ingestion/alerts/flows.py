"""Side effects of accepting alerts: the transaction, and opening incidents in incident-management.

An alert is committed before anything else happens, so once answered it is never lost; opening
its incident is tried inline (short timeout) and otherwise left to the link worker (workers.py).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Any

import orjson
from fastapi import FastAPI
from nightwatch_core.http_client import ServiceClient
from nightwatch_core.ids import uuid7
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_ingestion.alerts import models, service
from nightwatch_ingestion.alerts.coalescing import RETRYABLE_SQLSTATES
from nightwatch_ingestion.alerts.fast_path import JoinRequest
from nightwatch_ingestion.alerts.schemas import AlertAccepted, AlertCreate
from nightwatch_ingestion.metrics import count_alert, count_alerts
from nightwatch_ingestion.settings import IngestionSettings

log = logging.getLogger("nightwatch.ingestion")


class IncidentCallFailed(Exception):
    """incident-management did not create the incident (down, slow, or refused)."""


def settings_of(app: FastAPI) -> IngestionSettings:
    settings: IngestionSettings = app.state.settings
    return settings


async def accept_alerts(*, app: FastAPI, alerts: list[AlertCreate]) -> list[AlertAccepted]:
    """Store alerts durably and answer for each; most single alerts take the one-statement path.

    No session is opened unless the general path runs (the hot path needs none).
    """
    settings = settings_of(app)
    now = app.state.clock.now()
    alert_ids = [uuid7() for _ in alerts]
    window = timedelta(seconds=settings.correlation_window_seconds)

    def team_of(alert: AlertCreate) -> str:
        return service.team_for(
            alert, service_team_map=settings.service_team_map, default_team=settings.default_team
        )

    if len(alerts) == 1:
        quick = await _join_open_group(app, alerts[0], alert_ids[0], team_of(alerts[0]))
        if quick is not None:
            return [quick]

    async with app.state.sessionmaker() as session:
        for attempt in range(3):
            try:
                batch = await service.store_alerts(
                    session,
                    alerts=alerts,
                    now=now,
                    window=window,
                    team_of=team_of,
                    alert_ids=alert_ids,
                )
                # Groups this request will not try inline are the link worker's at once (not
                # after the grace the inline attempt gets).
                later = batch.opened_groups[settings.inline_incident_creates :]
                if later:
                    await service.make_groups_due(session, group_ids=later, now=now)
                await session.commit()
                break
            except DBAPIError as exc:
                await session.rollback()
                sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
                if sqlstate not in RETRYABLE_SQLSTATES or attempt == 2:
                    raise
    count_alerts((a.severity for a in batch.alerts), (a.result.value for a in batch.alerts))

    incidents: dict[uuid.UUID, uuid.UUID] = {}
    inline = batch.opened_groups[: settings.inline_incident_creates]
    if inline:
        outcomes = await asyncio.gather(
            *(open_incident_inline(app, group_id) for group_id in inline)
        )
        incidents = {g: i for g, i in zip(inline, outcomes, strict=True) if i is not None}
    if len(batch.opened_groups) > len(inline) or len(incidents) < len(inline):
        app.state.link_wake.set()
    app.state.attach_wake.set()

    accepted = []
    for stored in batch.alerts:
        incident_id = stored.incident_id or incidents.get(stored.group_id)
        accepted.append(
            AlertAccepted(
                alert_id=stored.alert_id,
                id=stored.alert_id,
                fingerprint=stored.fingerprint,
                incident_id=incident_id,
                result=stored.result,
                link_status="linked" if incident_id else "pending",
            )
        )
    return accepted


async def _join_open_group(
    app: FastAPI, alert: AlertCreate, alert_id: uuid.UUID, team: str
) -> AlertAccepted | None:
    """The one-statement hot path, shared with concurrent requests (coalescing.py).

    None when the general path must run.
    """
    fingerprint = service.alert_fingerprint(alert)
    joined = await app.state.join_coalescer.join(
        JoinRequest(
            alert_id=alert_id,
            service=alert.service,
            severity=alert.severity.value,
            fingerprint=fingerprint,
            message=alert.message,
            labels_json=orjson.dumps(alert.labels).decode(),
            timestamp=alert.timestamp,
            team=team,
        )
    )
    if joined is None:
        return None
    count_alert(alert.severity.value, joined.result.value)
    if joined.incident_id is not None:
        app.state.attach_wake.set()
    return AlertAccepted(
        alert_id=alert_id,
        id=alert_id,
        fingerprint=fingerprint,
        incident_id=joined.incident_id,
        result=joined.result,
        link_status="linked" if joined.incident_id else "pending",
    )


async def open_incident_inline(app: FastAPI, group_id: uuid.UUID) -> uuid.UUID | None:
    """Try once, quickly; on failure make the group due for the worker at once."""
    async with app.state.sessionmaker() as session:
        try:
            return await open_group_incident(
                app, session, group_id=group_id, client=app.state.inline_incident_client
            )
        except IncidentCallFailed as exc:
            log.warning("incident not created inline; the worker will retry: %s", exc)
            await session.execute(
                update(models.correlation_groups)
                .where(models.correlation_groups.c.id == group_id)
                .values(link_due_at=app.state.clock.now(), link_error=str(exc)[:2000])
            )
            await session.commit()
            return None


def incident_body(group: Any) -> dict[str, Any]:
    return {
        "title": group.title,
        "service": group.service,
        "severity": group.severity,
        "description": group.description,
        "team": group.team,
    }


# Who the incident's timeline says created it.
INCIDENT_CREATOR = "alert-ingestion"


async def open_group_incident(
    app: FastAPI, session: AsyncSession, *, group_id: uuid.UUID, client: ServiceClient
) -> uuid.UUID:
    """Create (or find again: same Idempotency-Key) the group's incident and link its alerts."""
    groups = models.correlation_groups
    group = (await session.execute(select(groups).where(groups.c.id == group_id))).first()
    if group is None:
        raise IncidentCallFailed(f"correlation group {group_id} does not exist")
    if group.incident_id is not None:
        return uuid.UUID(str(group.incident_id))
    await session.rollback()  # hold no transaction open across the HTTP call
    try:
        response = await client.post(
            "/api/v1/incidents",
            json=incident_body(group),
            idempotency_key=f"nightwatch-alert-group-{group_id}",
            headers={"X-Actor": INCIDENT_CREATOR},
        )
    except Exception as exc:  # transport errors and timeouts: the neighbour is down or slow
        raise IncidentCallFailed(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code not in (200, 201):
        raise IncidentCallFailed(f"HTTP {response.status_code}: {response.text[:300]}")
    try:
        incident_id = uuid.UUID(str(response.json()["id"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise IncidentCallFailed(f"unexpected answer: {response.text[:300]}") from exc
    await service.set_group_incident(session, group_id=group_id, incident_id=incident_id)
    await session.commit()
    return incident_id
