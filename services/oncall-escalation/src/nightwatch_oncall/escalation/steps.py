"""One escalation step: resolve a level's targets now, queue a durable page per person and contact
method and the incident-timeline entries, then set the timer for the next step. No HTTP here: the
workers in ``workers.py`` send what is queued.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from nightwatch_core.jobs import NewJob, enqueue_many
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.escalation import targets
from nightwatch_oncall.escalation.models import Escalation, EscalationEvent, EscalationPage
from nightwatch_oncall.notification_rules import planning

SYSTEM_ACTOR = "oncall-escalation"
JOB_SCHEMA = "oncall"
PAGE_JOB = "escalation_page"
TIMELINE_JOB = "incident_timeline"


@dataclass(frozen=True)
class StepResult:
    team: str
    level: int
    pages: int
    escalated: bool  # past the first page: nobody acknowledged in time, or someone escalated


def new_event(
    escalation: Escalation,
    now: datetime,
    kind: str,
    message: str,
    *,
    actor: str = SYSTEM_ACTOR,
    level: int | None = None,
    round_: int | None = None,
    data: dict[str, Any] | None = None,
) -> EscalationEvent:
    return EscalationEvent(
        incident_id=escalation.incident_id,
        kind=kind,
        level=level,
        round=round_,
        actor=actor,
        message=message,
        data=data or {},
        created_at=now,
    )


def timeline_job(
    *,
    incident_id: uuid.UUID,
    event_type: str,
    message: str,
    dedup_key: str,
    now: datetime,
    actor: str = SYSTEM_ACTOR,
    data: dict[str, Any] | None = None,
) -> NewJob:
    """An entry for the incident's timeline, as a durable job (incident-management dedups on
    dedup_key). Queue it with ``enqueue_many``."""
    return NewJob(
        kind=TIMELINE_JOB,
        payload={
            "incident_id": str(incident_id),
            "event_type": event_type,
            "actor": actor,
            "message": message,
            "data": data or {},
            "dedup_key": dedup_key,
        },
        run_at=now,
        dedup_key=f"timeline:{dedup_key}",
    )


def page_payload(
    *,
    incident_id: uuid.UUID,
    recipient: str,
    channel: str,
    subject: str,
    message: str,
    idempotency_key: str,
    user_name: str,
) -> dict[str, Any]:
    """A page job: the notification (senders.page_body, checked against notification's
    ``NotificationCreate`` when sent) and whom it pages."""
    return {
        "recipient": recipient,
        "channel": channel,
        "subject": subject,
        "message": message,
        "incident_id": str(incident_id),
        "idempotency_key": idempotency_key,
        "user_name": user_name,
    }


def _unique_people(lookups: list[targets.Lookup]) -> list[targets.Person]:
    seen: dict[str, targets.Person] = {}
    for lookup in lookups:
        for person in lookup.people:
            seen.setdefault(person.id, person)
    return list(seen.values())


def _nobody_paged_entry(
    escalation: Escalation, lookups: list[targets.Lookup], number: int, key_base: str, now: datetime
) -> NewJob:
    """The timeline entry that makes incident-management mark the incident ``nobody_paged``
    (issue #15, item 2), with the reasons a person can act on."""
    snapshot = escalation.policy_snapshot or {}
    reasons = [lookup.source for lookup in lookups]
    if snapshot.get("implicit"):
        reasons.insert(0, f"team {escalation.team} has no escalation policy")
    return timeline_job(
        incident_id=escalation.incident_id,
        event_type="nobody_paged",
        message=f"Nobody was paged at level {number}: " + "; ".join(reasons),
        dedup_key=f"{key_base}:nobody",
        now=now,
        data={"level": number, "team": escalation.team, "reasons": reasons},
    )


async def _preferences(
    session: AsyncSession,
    people: list[targets.Person],
    cache: dict[str, planning.Preferences | None] | None,
) -> dict[str, planning.Preferences | None]:
    """The notification rules of the people paged (one statement for those not yet loaded)."""
    known = {} if cache is None else cache
    missing = [person.id for person in people if person.id not in known]
    if missing:
        loaded = await planning.load_preferences(session=session, user_ids=missing)
        known.update({user_id: loaded.get(user_id) for user_id in missing})
    return known


def _rule_fields(contact: planning.PlannedPage) -> dict[str, str]:
    """The rule carried on the notify request; left out for a default page, so notification
    versions from before the rules take it unchanged."""
    if contact.rule_id is None:
        return {}
    return {"notification_rule_id": str(contact.rule_id), "notification_rule": contact.rule or ""}


def _planned_entry(
    escalation: Escalation,
    person: targets.Person,
    contact: planning.PlannedPage,
    key: str,
    now: datetime,
) -> NewJob:
    """The timeline says a notification is due later (a rule's delay, or quiet hours)."""
    why = contact.rule or "default"
    if contact.deferred:
        why += "; held for quiet hours"
    due = contact.due_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return timeline_job(
        incident_id=escalation.incident_id,
        event_type="notification_planned",
        message=f"Will page {person.name} via {contact.channel} at {due} unless acknowledged "
        f"({why})",
        dedup_key=f"{key}:planned",
        now=now,
        data={
            "user_id": person.id,
            "channel": contact.channel,
            "recipient": contact.recipient,
            "due_at": contact.due_at.isoformat(),
            "notification_rule_id": str(contact.rule_id) if contact.rule_id else None,
            "notification_rule": contact.rule,
            "quiet_hours": contact.deferred,
        },
    )


def page_text(escalation: Escalation, level: int) -> tuple[str, str]:
    severity = (escalation.severity or "unknown").upper()
    title = escalation.title or "Incident"
    # An alert's incident title starts with its severity already ("[critical] api: …").
    if escalation.severity and title.lower().startswith(f"[{escalation.severity.lower()}] "):
        title = title[len(escalation.severity) + 3 :]
    subject = f"[{severity}] {title}"[:200]
    message = (
        f"Incident {escalation.title!r} on service {escalation.service or '?'} "
        f"(severity {escalation.severity or 'unknown'}), team {escalation.team}. "
        f"Escalation level {level}. Acknowledge to stop the escalation. "
        f"Incident id {escalation.incident_id}."
    )
    return subject, message


async def run_step(
    *,
    session: AsyncSession,
    escalation: Escalation,
    now: datetime,
    lookup_cache: dict[str, targets.Lookup] | None = None,
    flush: bool = True,
    jobs: list[NewJob] | None = None,
    preferences_cache: dict[str, planning.Preferences | None] | None = None,
) -> StepResult:
    """Page ``next_level`` (resolving its targets now), queue the pages and timeline entries, and
    set the timer for the following step. The caller holds the row lock. ``lookup_cache`` (and
    ``preferences_cache``) let a batch of steps taken at the same instant resolve each target (and
    load each person's notification rules) once; with ``jobs`` the page and timeline jobs are
    appended there for the caller to write with one ``enqueue_many``."""
    outbox: list[NewJob] = [] if jobs is None else jobs
    snapshot = escalation.policy_snapshot or {}
    levels: list[dict[str, Any]] = snapshot["levels"]
    index, round_ = escalation.next_level, escalation.next_round
    level = levels[index]
    number = index + 1
    manual_by = escalation.manual_by
    cache = {} if lookup_cache is None else lookup_cache
    lookups: list[targets.Lookup] = []
    for target in level["targets"]:
        key = orjson.dumps(target, option=orjson.OPT_SORT_KEYS).decode()
        if key not in cache:
            cache[key] = await targets.resolve(session=session, target=target, at=now)
        lookups.append(cache[key])
    people = _unique_people(lookups)
    escalation.steps_taken += 1
    step = escalation.steps_taken
    key_base = f"esc:{escalation.incident_id}:{step}"
    actor = manual_by or SYSTEM_ACTOR

    if manual_by or step > 1:
        how = f"by {manual_by}" if manual_by else "nobody acknowledged in time"
        outbox.append(
            timeline_job(
                incident_id=escalation.incident_id,
                event_type="escalated",
                message=f"Escalated to level {number} ({how})",
                dedup_key=f"{key_base}:escalated",
                now=now,
                actor=actor,
                data={"level": number, "round": round_ + 1, "team": escalation.team},
            )
        )
    for position, lookup in enumerate(lookups):
        names = ", ".join(person.name for person in lookup.people) or "nobody on call"
        outbox.append(
            timeline_job(
                incident_id=escalation.incident_id,
                event_type="oncall_lookup",
                message=f"On-call lookup, level {number}: {names} ({lookup.source})",
                dedup_key=f"{key_base}:lookup:{position}",
                now=now,
                data={
                    "level": number,
                    "target": lookup.target,
                    "source": lookup.source,
                    "users": [{"id": p.id, "name": p.name} for p in lookup.people],
                    **lookup.details,
                },
            )
        )
    if not people:
        outbox.append(_nobody_paged_entry(escalation, lookups, number, key_base, now))
    subject, message = page_text(escalation, number)
    urgency = planning.urgency_of(escalation.severity)
    preferences = await _preferences(session, people, preferences_cache)
    pages = 0
    for person in people:
        planned = planning.plan(
            person=person, preferences=preferences.get(person.id), urgency=urgency, now=now
        )
        for contact_index, contact in enumerate(planned):
            key = f"{key_base}:L{number}R{round_ + 1}:{person.id}:{contact_index}"
            if contact.due_at > now:
                outbox.append(_planned_entry(escalation, person, contact, key, now))
            session.add(
                EscalationPage(
                    incident_id=escalation.incident_id,
                    step=step,
                    level=number,
                    round=round_ + 1,
                    user_id=person.id,
                    user_name=person.name,
                    channel=contact.channel,
                    recipient=contact.recipient,
                    idempotency_key=key,
                    status="queued",
                    created_at=now,
                    notification_rule_id=contact.rule_id,
                    notification_rule=contact.rule,
                    due_at=contact.due_at,
                )
            )
            page = page_payload(
                incident_id=escalation.incident_id,
                recipient=contact.recipient,
                channel=contact.channel,
                subject=subject,
                message=message,
                idempotency_key=key,
                user_name=person.name,
            ) | {"urgency": urgency, "quiet_hours": contact.deferred, **_rule_fields(contact)}
            outbox.append(NewJob(kind=PAGE_JOB, payload=page, run_at=contact.due_at, dedup_key=key))
            pages += 1
    session.add(
        new_event(
            escalation,
            now,
            "level_paged",
            f"Level {number} (round {round_ + 1}): paging "
            + (", ".join(p.name for p in people) or "nobody (no one on call)")
            + (f", escalated by {manual_by}" if manual_by else ""),
            actor=actor,
            level=number,
            round_=round_ + 1,
            data={"lookups": [{"target": lk.target, "source": lk.source} for lk in lookups]},
        )
    )
    _advance(escalation, now=now, level=level, anyone_paged=bool(people))
    if escalation.status == "exhausted":
        session.add(
            new_event(
                escalation,
                now,
                "exhausted",
                "Every level was paged as often as the policy says; no further pages "
                "unless someone escalates manually",
            )
        )
    if flush:
        await session.flush()
    if jobs is None:
        await enqueue_many(session, schema=JOB_SCHEMA, jobs=outbox)
    return StepResult(
        team=escalation.team or "", level=number, pages=pages, escalated=bool(manual_by) or step > 1
    )


async def run_steps(
    *, session: AsyncSession, escalations: list[Escalation], now: datetime
) -> list[StepResult]:
    """``run_step`` for a batch taken at one instant: each target resolved once, every page, event
    and timer written with one flush, every job with one ``enqueue_many``."""
    lookups: dict[str, targets.Lookup] = {}
    preferences: dict[str, planning.Preferences | None] = {}
    jobs: list[NewJob] = []
    with session.no_autoflush:
        results = [
            await run_step(
                session=session,
                escalation=escalation,
                now=now,
                lookup_cache=lookups,
                flush=False,
                jobs=jobs,
                preferences_cache=preferences,
            )
            for escalation in escalations
        ]
    await session.flush()
    await enqueue_many(session, schema=JOB_SCHEMA, jobs=jobs)
    return results


def _advance(
    escalation: Escalation, *, now: datetime, level: dict[str, Any], anyone_paged: bool
) -> None:
    snapshot = escalation.policy_snapshot or {}
    count = len(snapshot["levels"])
    repeat_count = int(snapshot.get("repeat_count", 0))
    index, round_ = escalation.next_level, escalation.next_round
    escalation.last_level, escalation.last_round = index, round_
    escalation.manual_by = None
    escalation.updated_at = now
    if index + 1 < count:
        following: tuple[int, int] | None = (index + 1, round_)
    elif round_ < repeat_count:
        following = (0, round_ + 1)
    else:
        following = None
    if following is None:
        escalation.status, escalation.next_step_at = "exhausted", None
        return
    # A level with nobody to page does not wait for an ack nobody can give (PagerDuty does the same).
    wait = timedelta(minutes=int(level["delay_minutes"])) if anyone_paged else timedelta(0)
    escalation.next_level, escalation.next_round = following
    escalation.status, escalation.next_step_at = "active", now + wait
