"""How an escalation level reaches a person: their notification rules for the incident's urgency,
with quiet hours applied. Used by the escalation step (``escalation/steps.py``), which queues one
page per planned notification, each a durable job due at its own time.

- Urgency: critical and high incidents are high urgency, medium and low are low. An incident
  without a known severity is high: never quieter than it should be.
- A person without rules for the urgency is paged as before: every contact method at once.
- Quiet hours (low urgency only, in the person's time zone): a notification due inside them waits
  until they end, as PagerDuty holds low-urgency notifications outside support hours. It is not
  dropped: if nobody acknowledges by then, it goes out; an acknowledge before cancels it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.escalation.targets import Person, channel_of

Urgency = Literal["high", "low"]
LOW_SEVERITIES = frozenset({"medium", "low"})


def urgency_of(severity: str | None) -> Urgency:
    return "low" if (severity or "").lower() in LOW_SEVERITIES else "high"


def describe(urgency: str, delay_minutes: int, method_type: str, address: str) -> str:
    when = "immediately" if delay_minutes == 0 else f"after {delay_minutes} min"
    return f"{urgency} urgency: {when} via {method_type} {address}"[:300]


@dataclass(frozen=True)
class RuleStep:
    rule_id: uuid.UUID
    urgency: str
    delay_minutes: int
    method_type: str
    address: str

    @property
    def description(self) -> str:
        return describe(self.urgency, self.delay_minutes, self.method_type, self.address)


@dataclass(frozen=True)
class Preferences:
    timezone: str
    quiet_hours: tuple[time, time] | None
    steps: tuple[RuleStep, ...]


@dataclass(frozen=True)
class PlannedPage:
    channel: str
    recipient: str
    due_at: datetime
    rule_id: uuid.UUID | None  # None: the default (no rules for this urgency)
    rule: str | None
    deferred: bool = False  # moved to the end of quiet hours


def quiet_hours_end(at: datetime, timezone: str, window: tuple[time, time]) -> datetime | None:
    """The end of the quiet hours ``at`` falls in (window [start, end), may cross midnight), or
    None when ``at`` is outside them."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    start, end = window
    now = local.time()
    if start < end:
        inside, days_to_end = start <= now < end, 0
    else:  # crosses midnight: 22:00-07:00
        inside, days_to_end = (now >= start or now < end), (1 if now >= start else 0)
    if not inside:
        return None
    end_day = local.date() + timedelta(days=days_to_end)
    return datetime.combine(end_day, end, tzinfo=zone)


def plan(
    *, person: Person, preferences: Preferences | None, urgency: Urgency, now: datetime
) -> list[PlannedPage]:
    """The notifications paging ``person`` at ``now`` means, each with its due time and rule."""
    steps = [s for s in preferences.steps if s.urgency == urgency] if preferences else []
    if steps:
        pages = [
            PlannedPage(
                channel=channel_of(step.method_type),
                recipient=step.address,
                due_at=now + timedelta(minutes=step.delay_minutes),
                rule_id=step.rule_id,
                rule=step.description,
            )
            for step in steps
        ]
    else:
        pages = [
            PlannedPage(
                channel=c.channel, recipient=c.recipient, due_at=now, rule_id=None, rule=None
            )
            for c in person.contacts
        ]
    if urgency == "low" and preferences is not None and preferences.quiet_hours is not None:
        pages = [_after_quiet_hours(page, preferences) for page in pages]
    unique: dict[tuple[str, str, datetime], PlannedPage] = {}
    for page in pages:
        unique.setdefault((page.channel, page.recipient, page.due_at), page)
    return sorted(unique.values(), key=lambda p: p.due_at)


def _after_quiet_hours(page: PlannedPage, preferences: Preferences) -> PlannedPage:
    assert preferences.quiet_hours is not None
    end = quiet_hours_end(page.due_at, preferences.timezone, preferences.quiet_hours)
    if end is None:
        return page
    return PlannedPage(
        channel=page.channel,
        recipient=page.recipient,
        due_at=end,
        rule_id=page.rule_id,
        rule=page.rule,
        deferred=True,
    )


# One statement for every person a step pages: an index probe per person (users by primary key,
# quiet hours by primary key, rules by (user_id, ...), their contact method by primary key), so the
# plan does not depend on statistics.
_PREFERENCES_SQL = text(
    """
    SELECT u.id AS user_id, u.timezone, q.start_time, q.end_time,
           r.id AS rule_id, r.urgency, r.delay_minutes, r.type, r.address
    FROM oncall.users u
    LEFT JOIN oncall.notification_quiet_hours q ON q.user_id = u.id
    LEFT JOIN LATERAL (
        SELECT r.id, r.urgency, r.delay_minutes, c.type, c.address, c.position
        FROM oncall.notification_rules r
        JOIN oncall.contact_methods c ON c.id = r.contact_method_id
        WHERE r.user_id = u.id
    ) r ON true
    WHERE u.id = ANY(CAST(:ids AS uuid[]))
    ORDER BY u.id, r.urgency, r.delay_minutes, r.position
    """
)


async def load_preferences(
    *, session: AsyncSession, user_ids: Sequence[str]
) -> dict[str, Preferences]:
    """Each person's rules and quiet hours, by user id (a person without either is left out)."""
    ids = [uuid.UUID(user_id) for user_id in dict.fromkeys(user_ids)]
    if not ids:
        return {}
    rows = (await session.execute(_PREFERENCES_SQL, {"ids": ids})).all()
    found: dict[str, Preferences] = {}
    for row in rows:
        key = str(row.user_id)
        current = found.get(key)
        if current is None:
            quiet = (row.start_time, row.end_time) if row.start_time is not None else None
            current = Preferences(timezone=row.timezone, quiet_hours=quiet, steps=())
        if row.rule_id is not None:
            step = RuleStep(row.rule_id, row.urgency, row.delay_minutes, row.type, row.address)
            current = Preferences(current.timezone, current.quiet_hours, (*current.steps, step))
        found[key] = current
    return {key: p for key, p in found.items() if p.steps or p.quiet_hours is not None}
