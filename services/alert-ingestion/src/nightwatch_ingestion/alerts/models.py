"""The ingestion schema's tables (SQL in database/migrations/0010, 0012 and 0013)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text
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
    Column("group_id", UUID(as_uuid=True)),
    Column("team", Text),
)

# What happened when the alert was sent to its incident's timeline (insert-only; migration 0013).
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("alert_id", UUID(as_uuid=True), primary_key=True),
    Column("attached_at", DateTime(timezone=True)),
    Column("dead_at", DateTime(timezone=True)),
    Column("error", Text),
)

correlation_groups = Table(
    "correlation_groups",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("service", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("team", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("last_alert_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("close_reason", Text),
    Column("incident_id", UUID(as_uuid=True)),
    Column("link_due_at", DateTime(timezone=True), nullable=False),
    Column("link_attempts", Integer, nullable=False),
    Column("link_error", Text),
)
