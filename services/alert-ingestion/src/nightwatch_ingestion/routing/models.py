"""The ingestion schema's routing tables (SQL: 0180_routing_rules.sql)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from nightwatch_ingestion.alerts.models import metadata

routing_rules = Table(
    "routing_rules",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("matchers", JSONB, nullable=False),
    Column("set_team", Text),
    Column("set_severity", Text),
    Column("add_labels", JSONB, nullable=False),
    Column("suppress", Boolean, nullable=False),
    Column("continue_matching", Boolean, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

routing_settings = Table(
    "routing_settings",
    metadata,
    Column("id", Boolean, primary_key=True),
    Column("catch_all_team", Text),
    Column("updated_by", Text),
    Column("updated_at", DateTime(timezone=True)),
    Column("service_team_map_imported_at", DateTime(timezone=True)),
)

routing_changes = Table(
    "routing_changes",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("rule_id", UUID(as_uuid=True)),
    Column("before", JSONB),
    Column("after", JSONB),
)
