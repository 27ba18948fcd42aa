"""The ingestion schema's silences and maintenance windows (SQL: 0140_suppression_heartbeats.sql)."""

from __future__ import annotations

from sqlalchemy import ARRAY, Column, DateTime, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from nightwatch_ingestion.alerts.models import metadata

silences = Table(
    "silences",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("matchers", JSONB, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expired_by", Text),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("services", ARRAY(Text), nullable=False),
    Column("teams", ARRAY(Text), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("recurrence", Text, nullable=False),
    Column("time_zone", Text, nullable=False),
    Column("repeat_until", DateTime(timezone=True)),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
