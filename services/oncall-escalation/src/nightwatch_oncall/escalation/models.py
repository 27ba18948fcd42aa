"""Tables of the escalation side (schema ``oncall``; DDL in database/migrations/0035_escalation.sql)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from nightwatch_core.db import Base
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, Text, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nightwatch_oncall.people.models import Team

SCHEMA = "oncall"


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, server_default=text("gen_random_uuid()")
    )
    team_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("oncall.teams.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    team_ref: Mapped[Team] = relationship(lazy="joined")

    @property
    def team(self) -> str:
        return self.team_ref.name


class Escalation(Base):
    __tablename__ = "escalations"
    __table_args__ = {"schema": SCHEMA}

    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    team: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    service: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str | None] = mapped_column(Text)
    policy_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    policy_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text)
    next_level: Mapped[int] = mapped_column(Integer, default=0)
    next_round: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    manual_by: Mapped[str | None] = mapped_column(Text)
    steps_taken: Mapped[int] = mapped_column(Integer, default=0)
    last_level: Mapped[int | None] = mapped_column(Integer)
    last_round: Mapped[int | None] = mapped_column(Integer)
    stop_reason: Mapped[str | None] = mapped_column(Text)
    stopped_by: Mapped[str | None] = mapped_column(Text)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EscalationEvent(Base):
    __tablename__ = "escalation_events"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey(f"{SCHEMA}.escalations.incident_id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(Text)
    level: Mapped[int | None] = mapped_column(Integer)
    round: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EscalationPage(Base):
    __tablename__ = "escalation_pages"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey(f"{SCHEMA}.escalations.incident_id", ondelete="CASCADE")
    )
    step: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(Text)
    user_name: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(Text, default="queued")
    notification_id: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notification_rule_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    notification_rule: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
