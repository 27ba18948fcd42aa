"""What a source says about alerts it sent before: resolved (Alertmanager ``status: resolved``,
PagerDuty ``resolve``, a generic ``status: "resolved"``) or acknowledged (PagerDuty
``acknowledge``). Applied in the correlation transaction, to the open incident holding the
alert's fingerprint, under that incident's row lock (service.py took it): a resolve or an
acknowledge never touches an incident that a person resolved meanwhile.

- resolve: the fingerprint is marked resolved in its incident. When every fingerprint of the
  incident is resolved, the incident is resolved by the source's actor (``integration:<name>``)
  if its integration has ``auto_resolve``; otherwise the timeline says so and a person decides.
- acknowledge: an open incident is acknowledged by the source's actor.
- nothing open holds the fingerprint: ``ignored`` (no incident).

Keyword-only, takes the session, never commits, never calls another service.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from nightwatch_contracts.alert_placement import AlertPlaced, AlertToCorrelate
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_incidents.correlation import statements as sql
from nightwatch_incidents.incidents import service
from nightwatch_incidents.incidents.batch_timeline import Entry, append_timeline_many
from nightwatch_incidents.incidents.models import Incident
from nightwatch_incidents.incidents.schemas import IncidentUpdate
from nightwatch_incidents.incidents.states import Status, is_allowed

# Who the timeline says opened incidents and attached alerts (and resolved them, for alerts sent
# without an integration).
ACTOR = "alert-ingestion"


@dataclass(frozen=True)
class Transition:
    """An incident a source acknowledged or resolved: its escalation must stop."""

    incident: Incident
    status: Status
    actor: str


async def apply(
    *,
    session: AsyncSession,
    events: list[AlertToCorrelate],
    holder: dict[str, uuid.UUID],
    placed: dict[uuid.UUID, AlertPlaced],
    now: datetime,
) -> list[Transition]:
    """Answer each event in ``placed``; the incidents acknowledged or resolved."""
    resolves: dict[uuid.UUID, list[AlertToCorrelate]] = defaultdict(list)
    acks: dict[uuid.UUID, AlertToCorrelate] = {}
    for event in events:
        incident_id = holder.get(event.fingerprint)
        result = "ignored"
        if incident_id is not None:
            result = "resolved" if event.action == "resolve" else "acknowledged"
            if event.action == "resolve":
                resolves[incident_id].append(event)
            else:
                acks.setdefault(incident_id, event)
        placed[event.alert_id] = AlertPlaced(
            alert_id=event.alert_id, incident_id=incident_id, result=result
        )
    transitions: list[Transition] = []
    for incident_id, event in sorted(acks.items()):
        transitions += await _transition(
            session=session,
            incident_id=incident_id,
            event=event,
            target=Status.ACKNOWLEDGED,
            now=now,
        )
    if resolves:
        transitions += await _resolve(session=session, resolves=resolves, now=now)
    return transitions


async def _resolve(
    *, session: AsyncSession, resolves: dict[uuid.UUID, list[AlertToCorrelate]], now: datetime
) -> list[Transition]:
    ids = sorted(resolves)
    pairs = sorted({(i, e.fingerprint) for i in ids for e in resolves[i]})
    all_resolved = {
        row[0]
        for row in await session.execute(
            sql.RESOLVE_FINGERPRINTS,
            {
                "incident_ids": [p[0] for p in pairs],
                "fingerprints": [p[1] for p in pairs],
                "now": now,
            },
        )
    }
    entries = []
    for incident_id in ids:
        events = resolves[incident_id]
        count = len({e.fingerprint for e in events})
        entries.append(
            Entry(
                incident_id=incident_id,
                event_type="alerts_resolved",
                actor=events[-1].actor or ACTOR,
                message=f"{count} alert{'s' if count != 1 else ''} resolved at the source: "
                f"{events[0].message}"[:2000],
                data={"alert_ids": [str(e.alert_id) for e in events[:20]]},
            )
        )
        if incident_id in all_resolved and not events[-1].auto_resolve:
            entries.append(
                Entry(
                    incident_id=incident_id,
                    event_type="all_alerts_resolved",
                    actor=events[-1].actor or ACTOR,
                    message="All alerts resolved at the source; the integration does not "
                    "auto-resolve: resolve the incident when you are done",
                )
            )
    await append_timeline_many(session=session, entries=entries, now=now)
    transitions = []
    for incident_id in ids:
        last = resolves[incident_id][-1]
        if incident_id in all_resolved and last.auto_resolve:
            transitions += await _transition(
                session=session,
                incident_id=incident_id,
                event=last,
                target=Status.RESOLVED,
                now=now,
            )
    return transitions


async def _transition(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    event: AlertToCorrelate,
    target: Status,
    now: datetime,
) -> list[Transition]:
    """Acknowledge or resolve (already row-locked); nothing when the state machine says no
    (an acknowledge of an incident already acknowledged or in progress)."""
    incident = await service.get_incident(session=session, incident_id=incident_id, lock=True)
    if not is_allowed(incident.status, target):
        return []
    actor = event.actor or ACTOR
    await service.update_incident(
        session=session,
        incident=incident,
        changes=IncidentUpdate(status=target),
        actor=actor,
        now=now,
    )
    return [Transition(incident=incident, status=target, actor=actor)]
