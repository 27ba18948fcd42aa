"""Pytest plugin (enabled in pyproject's addopts): the real-PostgreSQL fixtures every service uses.

- ``database_url``: one throwaway database per run, created from the migrations, dropped after.
- ``db_engine`` / ``db_session``: a session per test inside a transaction rolled back at the end
  (SQLAlchemy's "join a session into an external transaction" recipe, savepoints for commits).
- ``make_settings``: a service's settings class pointed at the run's database.
- ``app_client``: an ``httpx.AsyncClient`` over an app with its lifespan running; pass
  ``session=db_session`` to share the test's rolled-back transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from nightwatch_core.db import get_session
from nightwatch_core.migrations import find_repo_root
from nightwatch_core.service_auth import SERVICE_TOKEN_HEADER
from nightwatch_core.settings import ServiceSettings, to_asyncpg_url
from nightwatch_core.testing.databases import create_database, drop_database, server_url

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@pytest.fixture(scope="session")
def repo_root(pytestconfig: pytest.Config) -> Path:
    return find_repo_root(Path(pytestconfig.rootpath))


@pytest.fixture(scope="session")
def pg_server_url(repo_root: Path) -> str:
    return server_url(repo_root)


@pytest.fixture(scope="session")
async def database_url(pg_server_url: str, repo_root: Path) -> AsyncIterator[str]:
    url = await create_database(pg_server_url, repo_root=repo_root)
    yield url
    await drop_database(pg_server_url, url)


@pytest.fixture(scope="session")
async def db_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(to_asyncpg_url(database_url), pool_size=5, max_overflow=20)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db_session(db_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with db_engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Any]:
    def build(settings_class: type[SettingsT], **overrides: Any) -> SettingsT:
        overrides.setdefault("access_log", False)
        overrides.setdefault("database_url", database_url)
        return settings_class(**overrides)

    return build


def service_headers(app: FastAPI) -> dict[str, str]:
    """What a neighbour or the gateway sends to ``app`` (its lifespan must be running)."""
    token = app.state.service_credential.value
    return {SERVICE_TOKEN_HEADER: token} if token else {}


@contextlib.asynccontextmanager
async def running_app(
    app: FastAPI,
    *,
    session: AsyncSession | None = None,
    base_url: str = "http://testserver",
    service_credential: bool = True,
) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and give a client over it (in-process ASGI, no sockets).

    The client is a caller holding the service credential (like the gateway or a neighbour),
    unless ``service_credential=False``."""
    if session is not None:

        async def shared_session() -> AsyncIterator[AsyncSession]:
            yield session

        app.dependency_overrides[get_session] = shared_session
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        headers = service_headers(app) if service_credential else {}
        async with httpx.AsyncClient(
            transport=transport, base_url=base_url, headers=headers
        ) as client:
            yield client
    app.dependency_overrides.pop(get_session, None)


@pytest.fixture
def app_client() -> Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    return running_app
