"""HTTP API of personal notification rules and the per-contact-method test notification (thin)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import NotFound

from nightwatch_oncall.escalation.workers import runtime
from nightwatch_oncall.notification_rules import contact_test, service
from nightwatch_oncall.notification_rules.schemas import (
    ContactMethodTestRead,
    NotificationRuleIn,
    NotificationRuleRead,
    NotificationRulesIn,
    NotificationRulesRead,
)
from nightwatch_oncall.people import service as people
from nightwatch_oncall.people.models import User

router = APIRouter(prefix="/api/v1/users/{user_id}", tags=["notification rules"])
Actor = Annotated[str, Header(alias="X-Actor", max_length=200)]


async def _current_user(user_id: uuid.UUID, session: SessionDep) -> User:
    return await people.get_user(session=session, user_id=user_id)


CurrentUser = Annotated[User, Depends(_current_user)]


@router.get("/notification-rules")
async def read_rules(user: CurrentUser, session: SessionDep) -> NotificationRulesRead:
    return await service.get_rules(session=session, user=user)


@router.put("/notification-rules")
async def replace_rules(
    user: CurrentUser, data: NotificationRulesIn, session: SessionDep
) -> NotificationRulesRead:
    await service.replace_rules(session=session, user=user, data=data)
    read = await service.get_rules(session=session, user=user)
    await session.commit()
    return read


@router.post("/notification-rules", status_code=201)
async def add_rule(
    user: CurrentUser, data: NotificationRuleIn, session: SessionDep
) -> NotificationRuleRead:
    read = await service.add_rule(session=session, user=user, data=data)
    await session.commit()
    return read


@router.delete("/notification-rules/{rule_id}", status_code=204)
async def delete_rule(user: CurrentUser, rule_id: uuid.UUID, session: SessionDep) -> Response:
    await service.delete_rule(session=session, user=user, rule_id=rule_id)
    await session.commit()
    return Response(status_code=204)


@router.post("/contact-methods/{contact_method_id}/test", status_code=202)
async def test_contact_method(
    user: CurrentUser,
    contact_method_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    actor: Actor = "anonymous",
) -> ContactMethodTestRead:
    """Queue one test notification to this contact method, on the channel a page would use."""
    method = next((m for m in user.contact_methods if m.id == contact_method_id), None)
    if method is None:
        raise NotFound("Contact method", f"{contact_method_id} of user {user.id}")
    read = await contact_test.queue_test(
        session=session,
        user=user,
        method=method,
        actor=actor.strip().replace("\x00", "") or "anonymous",
        now=request.app.state.clock.now(),
    )
    await session.commit()
    runtime(request.app).wake_senders()
    return read
