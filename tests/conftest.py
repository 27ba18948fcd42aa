"""End-to-end fixtures: the real services as processes, talking HTTP, on a throwaway database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nightwatch_core.testing.databases import create_database, drop_database

from tests.stack_runner import Stack, make_stack, up_on_free_ports


@pytest.fixture(scope="session")
async def stack_database_url(pg_server_url: str, repo_root: Path) -> AsyncIterator[str]:
    if os.environ.get("E2E_DATABASE_URL"):  # the deployed stack's database (run-pipeline.sh)
        yield os.environ["E2E_DATABASE_URL"]
        return
    url = await create_database(pg_server_url, repo_root=repo_root, prefix="nw_e2e")
    yield url
    await drop_database(pg_server_url, url)


@pytest.fixture(scope="session")
def running_stack(
    stack_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The whole stack started by `make up` on free ports; `make down` at the end of the run.

    With E2E_STACK_DIR and E2E_STACK_PORT_OFFSET set (run-pipeline.sh's E2E stage), the tests use
    that already deployed stack instead, and leave it running for its owner to stop.
    """
    if os.environ.get("E2E_STACK_PORT_OFFSET"):
        yield make_stack(
            Path(os.environ["E2E_STACK_DIR"]),
            database_url=stack_database_url,
            offset=int(os.environ["E2E_STACK_PORT_OFFSET"]),
        )
        return
    stack = up_on_free_ports(
        lambda: make_stack(tmp_path_factory.mktemp("stack"), database_url=stack_database_url)
    )
    try:
        yield stack
    finally:
        stack.down()
