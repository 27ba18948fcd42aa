"""Tables of schedules, layers, participants and overrides (schema ``oncall``, migration 0031)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from nightwatch_core.db import Base
from sqlalchemy import Date, DateTime, FetchedValue, ForeignKey, Integer, Text, Time, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship


class Schedule(Base):
    __tablename__ = "schedules"
    __table_args__ = {"schema": "oncall"}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oncall.teams.id"))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(Text)
    # Secret of the subscribable calendar URL (migration 0032 fills it).
    ical_token: Mapped[str] = mapped_column(Text, server_default=FetchedValue())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    layers: Mapped[list[ScheduleLayer]] = relationship(
        order_by="ScheduleLayer.level", cascade="all, delete-orphan", lazy="selectin"
    )


class ScheduleLayer(Base):
    __tablename__ = "schedule_layers"
    __table_args__ = {"schema": "oncall"}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oncall.schedules.id", ondelete="CASCADE")
    )
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    rotation_type: Mapped[str] = mapped_column(Text)
    shift_length: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    handoff_time: Mapped[time] = mapped_column(Time)
    restrictions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    participants: Mapped[list[LayerParticipant]] = relationship(
        order_by="LayerParticipant.position", cascade="all, delete-orphan", lazy="selectin"
    )


class LayerParticipant(Base):
    __tablename__ = "layer_participants"
    __table_args__ = {"schema": "oncall"}

    layer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oncall.schedule_layers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oncall.users.id"))


class ScheduleOverride(Base):
    __tablename__ = "schedule_overrides"
    __table_args__ = {"schema": "oncall"}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oncall.schedules.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oncall.users.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
