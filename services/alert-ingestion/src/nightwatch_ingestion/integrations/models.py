"""The ingestion schema's integrations table (SQL in database/migrations/0070_integrations.sql)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from nightwatch_ingestion.alerts.models import metadata

integrations = Table(
    "integrations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("type", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("default_service", Text, nullable=False),
    Column("default_team", Text),
    Column("severity_mapping", JSONB, nullable=False),
    Column("default_severity", Text, nullable=False),
    Column("auto_resolve", Boolean, nullable=False),
    Column("key_prefix", Text, nullable=False),
    Column("key_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("key_rotated_at", DateTime(timezone=True)),
    Column("last_event_at", DateTime(timezone=True)),
    Column("event_counts", JSONB, nullable=False),
)
