"""Async SQLAlchemy engine and sessions, built in the app's lifespan (never at import)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from nightwatch_core.errors import NotFound
from nightwatch_core.migrations import libpq_dsn
from nightwatch_core.settings import ServiceSettings


class Base(DeclarativeBase):
    """Declarative base for every service's tables (each service maps only its own schema)."""


class DatabaseUnreachable(ConnectionError):
    """PostgreSQL could not be reached at all (a ``ConnectionError``, so it is answered 503).

    A stopped server on a Unix socket raises ``FileNotFoundError`` (the socket file is gone), a
    dead host ``OSError``/``TimeoutError``: none of them is a ``ConnectionError``, so without this
    every request during an outage was an unhandled 500."""


async def connect_database(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """``asyncpg.connect`` for every pool (SQLAlchemy's and the raw ones), with socket-level
    failures raised as :class:`DatabaseUnreachable`."""
    try:
        return await asyncpg.connect(*args, **kwargs)
    except ConnectionError:
        raise
    except OSError as exc:  # FileNotFoundError, TimeoutError, OSError(EHOSTUNREACH), ...
        raise DatabaseUnreachable(f"{type(exc).__name__}: {exc}") from exc


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        pool_size=settings.session_pool_size(),
        max_overflow=settings.db_max_overflow,
        # A restarted PostgreSQL leaves dead pooled connections: test each one on checkout so the
        # service recovers without a restart.
        pool_pre_ping=True,
        pool_timeout=settings.db_connect_timeout_seconds,
        connect_args={
            "async_creator_fn": connect_database,
            "timeout": settings.db_connect_timeout_seconds,
            "server_settings": {"application_name": settings.service_name, "timezone": "UTC"},
        },
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the router (or flow) commits, service functions only flush."""
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


class _StatelessConnection(asyncpg.Connection):  # type: ignore[misc]
    """Nothing on a raw pool leaves session state: no SET, LISTEN, cursors or session advisory
    locks (only transaction-scoped ones). So the pool's reset query on every release would be a
    wasted round trip; an open transaction is still rolled back by asyncpg itself."""

    def get_reset_query(self) -> str:
        return ""


async def create_raw_pool(settings: ServiceSettings) -> asyncpg.Pool:
    """A small asyncpg pool for hot paths written as single SQL statements: no ORM, no BEGIN /
    COMMIT round trips (a lone statement is its own transaction), no ping on checkout."""
    return await asyncpg.create_pool(
        libpq_dsn(settings.database_url),
        min_size=0,
        max_size=settings.raw_pool_size(),
        timeout=settings.db_connect_timeout_seconds,
        server_settings={"application_name": settings.service_name, "timezone": "UTC"},
        connection_class=_StatelessConnection,
        connect=connect_database,
    )


async def fetch_page(
    session: AsyncSession, query: Select[Any], *, limit: int, offset: int
) -> tuple[list[Any], int]:
    """One page of an ordered ``query`` and how many rows the whole query has, for the core's
    ``Page`` (docs/architecture.md, "Lists"): for the short lists (accounts, silences, ...)
    where a count is cheap."""
    rows = (await session.execute(query.limit(limit).offset(offset))).all()
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return list(rows), int((await session.execute(counted)).scalar_one())


RowT = TypeVar("RowT")


async def get_or_404(session: AsyncSession, model: type[RowT], ident: object, what: str) -> RowT:
    """The row of ``model`` with this primary key, or the 404 naming it ("<what> <id> not found")."""
    found = await session.get(model, ident)
    if found is None:
        raise NotFound(what, ident)
    return found


async def add_and_load(session: AsyncSession, row: RowT, *attributes: str) -> RowT:
    """Add a new row, flush it and read back what the database filled in (defaults, and the
    relationships named in ``attributes``); the caller commits."""
    session.add(row)
    await session.flush()
    await session.refresh(row, list(attributes) or None)
    return row
