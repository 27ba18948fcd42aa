"""Fixtures of the oncall-escalation tests: the app over the run's real PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from nightwatch_core.clock import ManualClock
from nightwatch_oncall.main import create_app
from nightwatch_oncall.settings import OncallSettings
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
def clock() -> ManualClock:
    from datetime import UTC, datetime

    return ManualClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))


@pytest.fixture
def oncall_app(make_settings: Callable[..., Any], clock: ManualClock) -> FastAPI:
    # The schedules tests need no escalation workers, and must never page a real neighbour.
    settings = make_settings(
        OncallSettings,
        escalation_workers_enabled=False,
        notification_url="http://127.0.0.1:9",
        incident_management_url="http://127.0.0.1:9",
    )
    return create_app(settings, clock=clock)


@pytest.fixture
async def client(
    oncall_app: FastAPI, db_session: AsyncSession, app_client: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client over the app, sharing the test's rolled-back transaction."""
    async with app_client(oncall_app, session=db_session) as http:
        yield http
