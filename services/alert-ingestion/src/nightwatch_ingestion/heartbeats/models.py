"""The ingestion schema's heartbeats table (SQL: 0140_suppression_heartbeats.sql)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from nightwatch_ingestion.alerts.models import metadata

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("team", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("grace_seconds", Integer, nullable=False),
    Column("ping_key", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("deadline_at", DateTime(timezone=True), nullable=False),
    Column("last_ping_at", DateTime(timezone=True)),
    Column("last_missed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
