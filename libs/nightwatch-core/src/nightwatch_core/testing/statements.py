"""Counting the SQL statements an app sends (SQLAlchemy engine or raw asyncpg pool): the tests that say
"a batch costs a fixed number of statements" count them instead of timing them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event


@contextlib.contextmanager
def counted_statements(app: FastAPI) -> Iterator[list[str]]:
    """Every statement ``app.state.engine`` executes inside the block, in order."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


class _CountingPool:
    """``app.state.db_pool`` for the duration of a count: every connection it hands out logs its
    statements (asyncpg's query logger) until it is given back."""

    def __init__(self, pool: Any, statements: list[str]) -> None:
        self._pool = pool
        self._statements = statements

    def _log(self, record: Any) -> None:
        self._statements.append(record.query)

    @contextlib.asynccontextmanager
    async def acquire(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async with self._pool.acquire(*args, **kwargs) as conn:
            conn.add_query_logger(self._log)
            try:
                yield conn
            finally:
                conn.remove_query_logger(self._log)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


@contextlib.contextmanager
def counted_pool_statements(app: FastAPI) -> Iterator[list[str]]:
    """Every statement sent through ``app.state.db_pool`` (the raw asyncpg pool) in the block."""
    statements: list[str] = []
    pool = app.state.db_pool
    app.state.db_pool = _CountingPool(pool, statements)
    try:
        yield statements
    finally:
        app.state.db_pool = pool
