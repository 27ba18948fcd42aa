"""One row by primary key, or the 404 that names it: shared by the configuration tables."""

from __future__ import annotations

import uuid
from typing import Any

from nightwatch_core.errors import NotFound
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession


async def one_or_404(session: AsyncSession, table: Table, row_id: uuid.UUID, what: str) -> Any:
    row = (await session.execute(select(table).where(table.c.id == row_id))).first()
    if row is None:
        raise NotFound(what, row_id)
    return row
