"""Correlating a batch of alerts: which incident each joins, decided under the locks that make
the answer true when it commits (statements.py has the SQL).

- A transaction-level advisory lock per (service, severity) serialises the batches of one key,
  across requests and replicas: exactly one of them opens the key's incident.
- The row lock of each incident joined serialises a batch against a resolve, which closes the
  incident's group while it holds the same lock. A batch that commits first had its alerts
  before the resolve; a batch that waited sees the incident resolved and opens a new one. So no
  alert received after an incident's ``resolved_at`` is ever attached to it.
Locks are always taken keys first (in hash order), then incidents (by id): no deadlock between
batches. A fixed number of statements per batch, however many alerts it carries.

Keyword-only, takes the session, never commits, never calls another service.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from nightwatch_contracts.alert_placement import AlertPlaced, AlertToCorrelate
from nightwatch_core.errors import ApiError
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_incidents.correlation import source_events
from nightwatch_incidents.correlation import statements as sql
from nightwatch_incidents.correlation.source_events import ACTOR
from nightwatch_incidents.incidents.schemas import DESCRIPTION_MAX, TITLE_MAX

Key = tuple[str, str]  # (service, severity)
# Timeline entries name at most this many alert ids; the full list is ingestion's
# GET /api/v1/alerts?incident_id=…
LISTED_ALERT_IDS = 20


@dataclass(frozen=True)
class OpenedIncident:
    """A new incident, with what its escalation start needs."""

    id: uuid.UUID
    title: str
    service: str
    severity: str
    team: str


@dataclass
class Correlation:
    results: list[AlertPlaced]
    opened: list[OpenedIncident] = field(default_factory=list)
    replayed: bool = False
    # Incidents the sources acknowledged or resolved (their escalation stops).
    transitions: list[source_events.Transition] = field(default_factory=list)


class BatchReplayMismatch(ApiError):
    def __init__(self, batch_id: uuid.UUID) -> None:
        super().__init__(
            409,
            f"Batch {batch_id} was correlated before with other alerts: send new alerts in a "
            "new batch",
            code="batch_id_reused",
        )


class AnswerRace(Exception):
    """Another transaction stored this batch's answer first: roll back and replay it."""


def incident_title(alert: AlertToCorrelate) -> str:
    return f"[{alert.severity.value}] {alert.service}: {alert.message}"[:TITLE_MAX]


def incident_description(alert: AlertToCorrelate) -> str:
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    text = f"{alert.message}\n\nService: {alert.service}\nSeverity: {alert.severity.value}"
    if labels:
        text += f"\nLabels: {labels}"
    return text[:DESCRIPTION_MAX]


def _key(alert: AlertToCorrelate) -> Key:
    return (alert.service, alert.severity.value)


async def stored_answer(
    *, session: AsyncSession, batch_id: uuid.UUID, alerts: list[AlertToCorrelate]
) -> Correlation | None:
    """The answer this batch got before, or None if it is new."""
    stored = (await session.execute(sql.STORED_ANSWER, {"id": batch_id})).scalar()
    if stored is None:
        return None
    placed = {row[0]: row for row in (stored if isinstance(stored, list) else orjson.loads(stored))}
    results = []
    for alert in alerts:
        row = placed.get(str(alert.alert_id))
        if row is None:
            raise BatchReplayMismatch(batch_id)
        results.append(AlertPlaced(alert_id=alert.alert_id, incident_id=row[1], result=row[2]))
    return Correlation(results=results, replayed=True)


async def correlate(
    *,
    session: AsyncSession,
    batch_id: uuid.UUID,
    alerts: list[AlertToCorrelate],
    now: datetime,
    window: timedelta,
) -> Correlation:
    """Place every alert of the batch in its incident (opening incidents where needed); apply
    the resolves and acknowledgements the sources sent (source_events.py)."""
    keys = sorted({_key(a) for a in alerts})
    by_key = {"services": [k[0] for k in keys], "severities": [k[1] for k in keys]}
    await session.execute(sql.LOCK_KEYS, by_key)
    # After the locks: a concurrent copy of this batch (a retry) has committed by now.
    replay = await stored_answer(session=session, batch_id=batch_id, alerts=alerts)
    if replay is not None:
        return replay

    locked = (
        await session.execute(
            sql.LOCK_INCIDENTS, {**by_key, "fingerprints": sorted({a.fingerprint for a in alerts})}
        )
    ).all()
    holders = Holders.of(locked)
    triggers = [a for a in alerts if a.action == "trigger"]
    # Alerts firing again join the open incident holding their fingerprint; the others go by
    # their key's group (the window) or open an incident.
    grouped = [a for a in triggers if a.fingerprint not in holders.incident]
    earliest: dict[Key, datetime] = {}
    latest: dict[Key, datetime] = {}
    first: dict[Key, AlertToCorrelate] = {}
    for alert in grouped:
        key = _key(alert)
        first.setdefault(key, alert)
        earliest[key] = min(earliest.get(key, alert.received_at), alert.received_at)
        latest[key] = max(latest.get(key, alert.received_at), alert.received_at)

    incident_of: dict[Key, uuid.UUID] = {}
    stale: list[uuid.UUID] = []
    for row in locked:
        key = (row.service, row.severity)
        if row.service is None or key not in earliest:
            continue  # not a group, or no alert of this batch needs it
        if row.last_alert_at >= earliest[key] - window:
            incident_of[key] = row.incident_id
        else:
            stale.append(row.incident_id)
    if stale:
        await session.execute(sql.EXPIRE_GROUPS, {"ids": stale, "now": now})

    opened = [
        OpenedIncident(
            id=uuid.uuid4(),
            title=incident_title(first[key]),
            service=key[0],
            severity=key[1],
            team=first[key].team,
        )
        for key in sorted(earliest)
        if key not in incident_of
    ]
    if opened:
        await session.execute(
            sql.OPEN_INCIDENTS,
            {
                "ids": [o.id for o in opened],
                "titles": [o.title for o in opened],
                "descriptions": [
                    incident_description(first[(o.service, o.severity)]) for o in opened
                ],
                "services": [o.service for o in opened],
                "severities": [o.severity for o in opened],
                "teams": [o.team for o in opened],
                "last_alerts": [latest[(o.service, o.severity)] for o in opened],
                "now": now,
                "actor": ACTOR,
            },
        )
        incident_of.update({(o.service, o.severity): o.id for o in opened})

    placed: dict[uuid.UUID, AlertPlaced] = {}
    if triggers:
        targets = [holders.incident.get(a.fingerprint) or incident_of[_key(a)] for a in triggers]
        for alert, target in zip(triggers, targets, strict=True):
            holders.incident.setdefault(alert.fingerprint, target)  # a resolve later in the batch
        await _claim_and_record(
            session=session,
            batch_id=batch_id,
            alerts=triggers,
            targets=targets,
            holders=holders,
            opened={o.id for o in opened},
            placed=placed,
            now=now,
        )
    transitions: list[source_events.Transition] = []
    events = [a for a in alerts if a.action != "trigger"]
    if events:
        transitions = await source_events.apply(
            session=session, events=events, holder=holders.incident, placed=placed, now=now
        )
    results = [placed[a.alert_id] for a in alerts]
    stored = await session.execute(
        sql.STORE_ANSWER,
        {
            "id": batch_id,
            "now": now,
            "results": orjson.dumps(
                [[str(r.alert_id), r.incident_id and str(r.incident_id), r.result] for r in results]
            ).decode(),
        },
    )
    if stored.scalar() is None:
        raise AnswerRace()
    return Correlation(results=results, opened=opened, transitions=transitions)


@dataclass
class Holders:
    """Which open (locked) incident holds each fingerprint, and which of those are resolved."""

    incident: dict[str, uuid.UUID]
    resolved: set[tuple[uuid.UUID, str]]

    @classmethod
    def of(cls, locked: Sequence[Any]) -> Holders:
        incident: dict[str, uuid.UUID] = {}
        created: dict[str, datetime] = {}
        resolved: set[tuple[uuid.UUID, str]] = set()
        for row in locked:
            for fingerprint in row.held or ():
                # Normally one holder; after an upgrade several: the newest incident wins.
                if fingerprint not in created or row.created_at > created[fingerprint]:
                    incident[fingerprint], created[fingerprint] = row.incident_id, row.created_at
            resolved.update((row.incident_id, fp) for fp in row.held_resolved or ())
        return cls(incident=incident, resolved=resolved)


async def _claim_and_record(
    *,
    session: AsyncSession,
    batch_id: uuid.UUID,
    alerts: list[AlertToCorrelate],
    targets: list[uuid.UUID],
    holders: Holders,
    opened: set[uuid.UUID],
    placed: dict[uuid.UUID, AlertPlaced],
    now: datetime,
) -> None:
    claimed = {
        (row.incident_id, row.fingerprint)
        for row in await session.execute(
            sql.CLAIM_FINGERPRINTS,
            {"incident_ids": targets, "fingerprints": [a.fingerprint for a in alerts]},
        )
    }
    refired = sorted(
        {(t, a.fingerprint) for a, t in zip(alerts, targets, strict=True)} & holders.resolved
    )
    if refired:
        await session.execute(
            sql.REFIRE,
            {"incident_ids": [r[0] for r in refired], "fingerprints": [r[1] for r in refired]},
        )
    results = _place(alerts, targets, claimed, opened=opened)
    placed.update((r.alert_id, r) for r in results)
    await _record(session=session, batch_id=batch_id, alerts=alerts, results=results, now=now)


def _place(
    alerts: list[AlertToCorrelate],
    targets: list[uuid.UUID],
    claimed: set[tuple[uuid.UUID, str]],
    *,
    opened: set[uuid.UUID],
) -> list[AlertPlaced]:
    """First alert of a new incident: new_incident; first of a fingerprint: correlated; else
    duplicate — exactly as if the alerts had come one after another."""
    results = []
    seen: set[uuid.UUID] = set()
    for alert, incident_id in zip(alerts, targets, strict=True):
        claim = (incident_id, alert.fingerprint)
        if claim in claimed:
            claimed.discard(claim)  # a repeat later in the batch is a duplicate
            result = (
                "new_incident"
                if incident_id in opened and incident_id not in seen
                else "correlated"
            )
        else:
            result = "duplicate"
        seen.add(incident_id)
        results.append(AlertPlaced(alert_id=alert.alert_id, incident_id=incident_id, result=result))
    return results


async def _record(
    *,
    session: AsyncSession,
    batch_id: uuid.UUID,
    alerts: list[AlertToCorrelate],
    results: list[AlertPlaced],
    now: datetime,
) -> None:
    """Counts, latest arrival and one timeline entry per incident for the whole batch."""
    placed: dict[uuid.UUID, list[tuple[AlertToCorrelate, str]]] = defaultdict(list)
    for alert, result in zip(alerts, results, strict=True):
        assert result.incident_id is not None  # every firing alert is placed
        placed[result.incident_id].append((alert, result.result))
    ids = list(placed)
    messages: list[str | None] = []
    data: list[str] = []
    for incident_id in ids:
        items = placed[incident_id]
        fresh = [alert for alert, result in items if result != "duplicate"]
        duplicates = len(items) - len(fresh)
        messages.append(_attached_message(fresh, duplicates) if fresh else None)
        data.append(
            orjson.dumps(
                {
                    "batch_id": str(batch_id),
                    "alerts": len(fresh),
                    "duplicates": duplicates,
                    "alert_ids": [str(a.alert_id) for a in fresh[:LISTED_ALERT_IDS]],
                    "first_received_at": min(a.received_at for a, _ in items).isoformat(),
                    "last_received_at": max(a.received_at for a, _ in items).isoformat(),
                }
            ).decode()
        )
    await session.execute(
        sql.RECORD_ALERTS,
        {
            "ids": ids,
            "alerts": [len(placed[i]) for i in ids],
            "duplicates": [sum(1 for _, r in placed[i] if r == "duplicate") for i in ids],
            "last_alerts": [max(a.received_at for a, _ in placed[i]) for i in ids],
            "messages": messages,
            "data": data,
            "dedup_key": f"alerts:{batch_id}",
            "now": now,
            "actor": ACTOR,
        },
    )


def _attached_message(fresh: list[AlertToCorrelate], duplicates: int) -> str:
    count = f"{len(fresh)} alert{'s' if len(fresh) != 1 else ''} attached"
    if duplicates:
        count += f" (+{duplicates} duplicate{'s' if duplicates != 1 else ''})"
    return f"{count}: {fresh[0].message}"[:2000]


async def prune_answers(*, session: AsyncSession, before: datetime) -> int:
    result = await session.execute(sql.PRUNE_ANSWERS, {"before": before})
    return int(getattr(result, "rowcount", 0) or 0)
