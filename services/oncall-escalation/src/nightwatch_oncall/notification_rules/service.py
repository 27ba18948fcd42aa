"""Personal notification rules: keyword-only functions taking the session; they flush, never
commit. Paging reads the rules in ``planning.py``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import time

from nightwatch_core.db import add_and_load
from nightwatch_core.errors import ApiError, NotFound
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.notification_rules.models import NotificationRule, QuietHours
from nightwatch_oncall.notification_rules.planning import describe
from nightwatch_oncall.notification_rules.schemas import (
    ContactMethodSummary,
    NotificationRuleIn,
    NotificationRuleRead,
    NotificationRulesIn,
    NotificationRulesRead,
    QuietHoursIn,
    QuietHoursRead,
)
from nightwatch_oncall.people.models import ContactMethod, User

DEFAULT = "every contact method at once (no rules for this urgency)"


def _checked_methods(user: User, rules: Sequence[NotificationRuleIn]) -> None:
    """Every rule names one of this person's own contact methods; a step appears once."""
    own = {method.id for method in user.contact_methods}
    seen: set[tuple[str, int, uuid.UUID]] = set()
    for index, rule in enumerate(rules):
        if rule.contact_method_id not in own:
            raise ApiError(
                422,
                f"rules[{index}]: contact method {rule.contact_method_id} is not one of "
                f"{user.name}'s contact methods (GET /api/v1/users/{user.id} lists them)",
                code="unknown_contact_method",
            )
        step = (rule.urgency, rule.delay_minutes, rule.contact_method_id)
        if step in seen:
            raise ApiError(
                422,
                f"rules[{index}]: the same step ({rule.urgency} urgency, after "
                f"{rule.delay_minutes} min, that contact method) is listed twice",
                code="validation_error",
            )
        seen.add(step)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _rule_read(rule: NotificationRule) -> NotificationRuleRead:
    method: ContactMethod = rule.contact_method
    return NotificationRuleRead(
        id=rule.id,
        urgency=rule.urgency,  # type: ignore[arg-type]
        delay_minutes=rule.delay_minutes,
        contact_method_id=method.id,
        contact_method=ContactMethodSummary(id=method.id, type=method.type, address=method.address),
        description=describe(rule.urgency, rule.delay_minutes, method.type, method.address),
    )


async def get_rules(*, session: AsyncSession, user: User) -> NotificationRulesRead:
    rules = await session.scalars(
        select(NotificationRule)
        .where(NotificationRule.user_id == user.id)
        .order_by(NotificationRule.urgency, NotificationRule.delay_minutes, NotificationRule.id)
        .execution_options(populate_existing=True)
    )
    quiet = await session.get(QuietHours, user.id, populate_existing=True)
    return NotificationRulesRead(
        user_id=user.id,
        timezone=user.timezone,
        quiet_hours=None
        if quiet is None
        else QuietHoursRead(
            start=quiet.start_time.strftime("%H:%M"), end=quiet.end_time.strftime("%H:%M")
        ),
        rules=[_rule_read(rule) for rule in rules.all()],
        defaults={"high": DEFAULT, "low": DEFAULT},
    )


async def _set_quiet_hours(session: AsyncSession, user: User, quiet: QuietHoursIn | None) -> None:
    await session.execute(delete(QuietHours).where(QuietHours.user_id == user.id))
    if quiet is not None:
        session.add(
            QuietHours(user_id=user.id, start_time=_clock(quiet.start), end_time=_clock(quiet.end))
        )


async def replace_rules(*, session: AsyncSession, user: User, data: NotificationRulesIn) -> None:
    """The person's rules and quiet hours become exactly ``data`` (escalations already paging
    them keep the pages they queued)."""
    _checked_methods(user, data.rules)
    await session.execute(delete(NotificationRule).where(NotificationRule.user_id == user.id))
    await _set_quiet_hours(session, user, data.quiet_hours)
    session.add_all(
        NotificationRule(
            user_id=user.id,
            urgency=rule.urgency,
            delay_minutes=rule.delay_minutes,
            contact_method_id=rule.contact_method_id,
        )
        for rule in data.rules
    )
    await session.flush()


async def add_rule(
    *, session: AsyncSession, user: User, data: NotificationRuleIn
) -> NotificationRuleRead:
    _checked_methods(user, [data])
    existing = await session.scalar(
        select(NotificationRule.id).where(
            NotificationRule.user_id == user.id,
            NotificationRule.urgency == data.urgency,
            NotificationRule.delay_minutes == data.delay_minutes,
            NotificationRule.contact_method_id == data.contact_method_id,
        )
    )
    if existing is not None:
        raise ApiError(409, f"{user.name} already has this rule ({existing})", code="conflict")
    rule = NotificationRule(
        user_id=user.id,
        urgency=data.urgency,
        delay_minutes=data.delay_minutes,
        contact_method_id=data.contact_method_id,
    )
    return _rule_read(await add_and_load(session, rule))


async def delete_rule(*, session: AsyncSession, user: User, rule_id: uuid.UUID) -> None:
    result = await session.execute(
        delete(NotificationRule).where(
            NotificationRule.id == rule_id, NotificationRule.user_id == user.id
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound("Notification rule", f"{rule_id} of user {user.id}")
    await session.flush()
