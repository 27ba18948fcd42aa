"""Tables of personal notification rules (schema ``oncall``, migration 0190)."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from nightwatch_core.db import Base
from sqlalchemy import DateTime, ForeignKey, Integer, Text, Time, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nightwatch_oncall.people.models import ContactMethod


class NotificationRule(Base):
    __tablename__ = "notification_rules"
    __table_args__ = {"schema": "oncall"}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oncall.users.id", ondelete="CASCADE"))
    urgency: Mapped[str] = mapped_column(Text)
    delay_minutes: Mapped[int] = mapped_column(Integer)
    contact_method_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oncall.contact_methods.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    contact_method: Mapped[ContactMethod] = relationship(lazy="joined")


class QuietHours(Base):
    __tablename__ = "notification_quiet_hours"
    __table_args__ = {"schema": "oncall"}

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oncall.users.id", ondelete="CASCADE"), primary_key=True
    )
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
