"""Answers of `GET /api/v1/audit`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nightwatch_core.validation import Page
from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    address: str | None
    request_id: str | None
    details: dict[str, Any]


class AuditPage(Page[AuditEntryRead]):
    """Newest first (docs/architecture.md, "Lists")."""
