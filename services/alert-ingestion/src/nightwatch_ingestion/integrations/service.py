"""Integration data functions: keyword-only, take the session, never commit (the router does).

The event counts are written by the inbound path on the raw pool (``record_events``), one
statement per notification, outside any request transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from nightwatch_core.db import fetch_page
from nightwatch_core.errors import ApiError, NotFound
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_ingestion.integrations import keys, snippets
from nightwatch_ingestion.integrations.models import integrations
from nightwatch_ingestion.integrations.schemas import (
    IntegrationCreate,
    IntegrationRead,
    IntegrationUpdate,
    IntegrationWithKey,
)


class NameTaken(ApiError):
    def __init__(self, name: str) -> None:
        super().__init__(
            409,
            f"An integration named {name!r} exists already: choose another name",
            code="name_taken",
        )


def to_read(row: Any, *, public_base_url: str) -> IntegrationRead:
    url = snippets.inbound_url(public_base_url, row.type)
    return IntegrationRead(
        id=row.id,
        type=row.type,
        name=row.name,
        default_service=row.default_service,
        default_team=row.default_team,
        severity_mapping=row.severity_mapping,
        default_severity=row.default_severity,
        auto_resolve=row.auto_resolve,
        key_prefix=row.key_prefix,
        inbound_url=url,
        snippet=snippets.snippet(integration_type=row.type, name=row.name, url=url),
        created_at=row.created_at,
        updated_at=row.updated_at,
        key_rotated_at=row.key_rotated_at,
        last_event_at=row.last_event_at,
        event_counts=row.event_counts,
    )


def with_key(read: IntegrationRead, key: str) -> IntegrationWithKey:
    snippet = snippets.snippet(
        integration_type=read.type.value, name=read.name, url=read.inbound_url, key=key
    )
    return IntegrationWithKey(**{**read.model_dump(), "snippet": snippet}, key=key)


async def _name_free(session: AsyncSession, name: str, *, other_than: uuid.UUID | None) -> None:
    query = select(integrations.c.id).where(integrations.c.name == name)
    if other_than is not None:
        query = query.where(integrations.c.id != other_than)
    if (await session.execute(query)).first() is not None:
        raise NameTaken(name)


async def create(
    *, session: AsyncSession, data: IntegrationCreate, now: datetime
) -> tuple[Any, str]:
    """The new row and its key (the only time the key exists outside the sender)."""
    await _name_free(session, data.name, other_than=None)
    key, prefix, digest = keys.new_key()
    row = (
        await session.execute(
            insert(integrations)
            .values(
                id=uuid.uuid4(),
                type=data.type.value,
                name=data.name,
                default_service=data.default_service,
                default_team=data.default_team,
                severity_mapping={k: v.value for k, v in data.severity_mapping.items()},
                default_severity=data.default_severity.value,
                auto_resolve=data.auto_resolve,
                key_prefix=prefix,
                key_hash=digest,
                created_at=now,
                updated_at=now,
                event_counts={},
            )
            .returning(*integrations.c)
        )
    ).one()
    return row, key


async def get(*, session: AsyncSession, integration_id: uuid.UUID) -> Any:
    row = (
        await session.execute(select(integrations).where(integrations.c.id == integration_id))
    ).first()
    if row is None:
        raise NotFound("Integration", integration_id)
    return row


async def list_page(*, session: AsyncSession, limit: int, offset: int) -> tuple[list[Any], int]:
    query = select(integrations).order_by(integrations.c.created_at, integrations.c.id)
    return await fetch_page(session, query, limit=limit, offset=offset)


async def count(*, session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(integrations))).scalar_one())


async def change(
    *, session: AsyncSession, integration_id: uuid.UUID, data: IntegrationUpdate, now: datetime
) -> Any:
    await get(session=session, integration_id=integration_id)  # 404 first
    values: dict[str, Any] = {}
    for name in data.model_fields_set:
        value = getattr(data, name)
        if (
            name
            in ("name", "default_service", "auto_resolve", "default_severity", "severity_mapping")
            and value is None
        ):
            raise ApiError(422, f"Invalid request: body.{name}: must not be null")
        values[name] = value
    if "name" in values:
        await _name_free(session, values["name"], other_than=integration_id)
    if values.get("severity_mapping") is not None:
        values["severity_mapping"] = {k: v.value for k, v in values["severity_mapping"].items()}
    if values.get("default_severity") is not None:
        values["default_severity"] = values["default_severity"].value
    values["updated_at"] = now
    return (
        await session.execute(
            update(integrations)
            .where(integrations.c.id == integration_id)
            .values(**values)
            .returning(*integrations.c)
        )
    ).one()


async def rotate_key(
    *, session: AsyncSession, integration_id: uuid.UUID, now: datetime
) -> tuple[Any, str]:
    await get(session=session, integration_id=integration_id)
    key, prefix, digest = keys.new_key()
    row = (
        await session.execute(
            update(integrations)
            .where(integrations.c.id == integration_id)
            .values(key_prefix=prefix, key_hash=digest, key_rotated_at=now, updated_at=now)
            .returning(*integrations.c)
        )
    ).one()
    return row, key


async def remove(*, session: AsyncSession, integration_id: uuid.UUID) -> None:
    await get(session=session, integration_id=integration_id)
    await session.execute(delete(integrations).where(integrations.c.id == integration_id))
