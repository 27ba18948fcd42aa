"""The ingestion schema's alerts table (SQL in database/migrations; 0060 for linked_at)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData(schema="ingestion")

alerts = Table(
    "alerts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("labels", JSONB, nullable=False),
    Column("alert_timestamp", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("incident_id", UUID(as_uuid=True)),
    Column("correlation_result", Text),
    Column("team", Text),
    Column("linked_at", DateTime(timezone=True)),
    Column("source", Text, nullable=False),
    Column("integration_id", UUID(as_uuid=True)),
    Column("event", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("details", JSONB),
    Column("suppressed_by_kind", Text),
    Column("suppressed_by_id", UUID(as_uuid=True)),
)
