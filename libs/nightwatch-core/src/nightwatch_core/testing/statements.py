"""Counting the SQL statements an app sends through its SQLAlchemy engine: the tests that say
"a batch costs a fixed number of statements" count them instead of timing them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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
