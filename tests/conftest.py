"""End-to-end fixtures: the real services as processes, talking HTTP, on a throwaway database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nightwatch_core.testing.databases import create_database, drop_database

from tests.stack_runner import Stack, make_stack


@pytest.fixture(scope="session")
async def stack_database_url(pg_server_url: str, repo_root: Path) -> AsyncIterator[str]:
    url = await create_database(pg_server_url, repo_root=repo_root, prefix="nw_e2e")
    yield url
    await drop_database(pg_server_url, url)


@pytest.fixture(scope="session")
def running_stack(
    stack_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The whole stack started by `make up` on free ports; `make down` at the end of the run."""
    stack = make_stack(tmp_path_factory.mktemp("stack"), database_url=stack_database_url)
    stack.up()
    try:
        yield stack
    finally:
        stack.down()
