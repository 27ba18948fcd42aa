"""Who a level's target means right now: the seam to the people/schedules side of this service.

Rotation logic lives in ``nightwatch_oncall.schedules`` (``resolve_oncall``/``schedule_oncall``) and
people in ``nightwatch_oncall.people``; this module only turns a policy target into the people to
page and their contact methods, plus a sentence for the incident's timeline.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from nightwatch_core.errors import NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_oncall.people import service as people
from nightwatch_oncall.people.models import Team, User
from nightwatch_oncall.schedules.models import Schedule
from nightwatch_oncall.schedules.oncall import get_team_members, resolve_oncall, schedule_oncall
from nightwatch_oncall.schedules.schemas import OnCallAnswer

# Contact method types that the notification service has a channel for; the others (sms, phone)
# are paged through the mock channel so the page is still recorded and visible.
_CHANNEL_OF_METHOD = {"email": "email", "slack": "slack", "webhook": "webhook"}
MOCK_CHANNEL = "mock"


def channel_of(method_type: str) -> str:
    """The notification channel a contact method type is paged on."""
    return _CHANNEL_OF_METHOD.get(method_type, MOCK_CHANNEL)


@dataclass(frozen=True)
class Contact:
    channel: str
    recipient: str


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    contacts: tuple[Contact, ...]


@dataclass(frozen=True)
class Lookup:
    """The people a target resolved to, and how (for the timeline: "schedule Primary: alice")."""

    target: dict[str, Any]
    people: tuple[Person, ...]
    source: str
    details: dict[str, Any] = field(default_factory=dict)


class _Method(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def address(self) -> str: ...


class _Someone(Protocol):
    """A user row or the schedules side's OnCallUser: both have these."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def contact_methods(self) -> Sequence[_Method]: ...


def person_of(user: _Someone) -> Person:
    contacts: list[Contact] = []
    for method in user.contact_methods:
        contact = Contact(channel=channel_of(method.type), recipient=method.address)
        if contact not in contacts:
            contacts.append(contact)
    if not contacts:
        contacts.append(Contact(channel=MOCK_CHANNEL, recipient=user.email))
    return Person(id=str(user.id), name=user.name, contacts=tuple(contacts))


async def find_team(*, session: AsyncSession, ref: str) -> Team | None:
    return await people.find_team(session=session, team=ref)


def _as_uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


async def checked_target_id(*, session: AsyncSession, kind: str, ref: str) -> str | None:
    """The id a target is stored under, or None when it does not exist."""
    if kind in ("team", "team_oncall"):
        team = await find_team(session=session, ref=ref)
        return None if team is None else str(team.id)
    ref_id = _as_uuid(ref)
    if ref_id is None:
        return None
    model: type[User] | type[Schedule] = User if kind == "user" else Schedule
    found = await session.get(model, ref_id)
    return None if found is None else str(ref_id)


def _oncall_lookup(target: dict[str, Any], answer: OnCallAnswer, what: str) -> Lookup:
    if answer.nobody_on_call:
        return Lookup(target=target, people=(), source=f"{what}: {answer.message}")
    sources = []
    for entry in answer.oncall:
        how = (
            "override"
            if entry.source == "override"
            else f"layer {entry.layer_name or entry.layer_level}"
        )
        sources.append(f"{entry.user.name}: schedule {entry.schedule_name}, {how}")
    people = tuple(person_of(entry.user) for entry in answer.oncall)
    return Lookup(
        target=target,
        people=people,
        source=f"{what}; " + "; ".join(sources),
        details={"schedules": [str(entry.schedule_id) for entry in answer.oncall]},
    )


async def resolve(*, session: AsyncSession, target: dict[str, Any], at: datetime) -> Lookup:
    """The people a target means at ``at``. A target deleted since the policy was written
    resolves to nobody (said so in the source), never to an error: the escalation goes on."""
    kind, ref = target["type"], str(target["id"])
    try:
        if kind == "user":
            user_id = _as_uuid(ref)
            user = None if user_id is None else await session.get(User, user_id)
            if user is None:
                return Lookup(target=target, people=(), source=f"user {ref} no longer exists")
            return Lookup(target=target, people=(person_of(user),), source=f"user {user.name}")
        if kind == "team":
            members = await get_team_members(session=session, team=ref)
            team = await find_team(session=session, ref=ref)
            name = team.name if team else ref
            return Lookup(
                target=target,
                people=tuple(person_of(member) for member in members),
                source=f"every member of team {name}",
            )
        if kind == "team_oncall":
            answer = await resolve_oncall(session=session, team=ref, at=at)
            return _oncall_lookup(target, answer, f"on-call of team {answer.team.name}")
        schedule_id = _as_uuid(ref)
        if schedule_id is None:
            raise NotFound("Schedule", ref)
        answer = await schedule_oncall(session=session, schedule_id=schedule_id, at=at)
        return _oncall_lookup(target, answer, "schedule")
    except NotFound:
        what = kind.replace("team_oncall", "team")
        return Lookup(target=target, people=(), source=f"{what} {ref} does not exist")
