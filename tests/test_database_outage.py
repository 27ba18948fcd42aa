"""Every service answers 503 with Retry-After while its PostgreSQL is down, never a 500 (issue #12,
finding 4), and recovers without a restart.

The database is really stopped — a cluster of this test's own (pgserver on a Unix socket), not a
cut TCP proxy: first it is shutting down (new connections get ``57P03 cannot connect now``), then
it is gone (the socket file is removed: ``FileNotFoundError``), then it is started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from nightwatch_core.testing.databases import create_database, with_database
from nightwatch_core.testing.plugin import running_app
from nightwatch_core.testing.stoppable_postgres import StoppablePostgres

ALERT = {"service": "db-outage", "severity": "high", "message": "disk full"}
INCIDENT = {"title": "t", "service": "db-outage", "severity": "high", "description": "d"}
NOTIFY = {"recipient": "alice", "channel": "mock", "subject": "s", "message": "m"}
LOGIN = {"username": "admin", "password": "admin"}
SILENCE = {
    "matchers": ['service="db-outage-silenced"'],
    "ends_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
    "comment": "outage test",
}

# (service, method, path, body): reads and writes of every service that touch its database.
REQUESTS: list[tuple[str, str, str, Any]] = [
    ("ingestion", "GET", "/api/v1/alerts", None),
    ("ingestion", "POST", "/api/v1/alerts", ALERT),
    ("ingestion", "GET", "/api/v1/silences", None),
    ("ingestion", "POST", "/api/v1/silences", SILENCE),
    ("ingestion", "GET", "/api/v1/maintenance-windows", None),
    ("ingestion", "GET", "/api/v1/heartbeats", None),
    ("ingestion", "GET", "/api/v1/heartbeats/ping/nwh_not-a-known-key-0123456789", None),
    ("incidents", "GET", "/api/v1/incidents", None),
    ("incidents", "GET", "/api/v1/incidents/stats/summary", None),
    ("incidents", "POST", "/api/v1/incidents", INCIDENT),
    ("oncall", "GET", "/api/v1/users", None),
    ("oncall", "GET", "/api/v1/schedules", None),
    ("oncall", "POST", "/api/v1/users", {"name": "Oona", "email": "oona@example.com"}),
    ("notify", "GET", "/api/v1/notifications", None),
    ("notify", "POST", "/api/v1/notify", NOTIFY),
    ("gateway", "POST", "/api/v1/auth/login", LOGIN),
]


ANSWER_BOUND_SECONDS = 30
NEIGHBOURS = ("alert_ingestion", "incident_management", "oncall", "notification")


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
async def cluster(tmp_path: Path, repo_root: Path) -> AsyncIterator[tuple[StoppablePostgres, str]]:
    postgres = StoppablePostgres(tmp_path / "pgdata")
    admin_url = postgres.start()
    try:
        url = await create_database(admin_url, repo_root=repo_root, prefix="nw_outage")
        yield postgres, url
    finally:
        postgres.stop()


@contextlib.asynccontextmanager
async def five_services(database_url: str) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    from nightwatch_gateway.main import create_app as gateway_app
    from nightwatch_gateway.settings import GatewaySettings
    from nightwatch_incidents.main import create_app as incidents_app
    from nightwatch_incidents.settings import IncidentSettings
    from nightwatch_ingestion.main import create_app as ingestion_app
    from nightwatch_ingestion.settings import IngestionSettings
    from nightwatch_notify.main import create_app as notify_app
    from nightwatch_notify.settings import NotifySettings
    from nightwatch_oncall.main import create_app as oncall_app
    from nightwatch_oncall.settings import OncallSettings

    nowhere = closed_port_url()  # the services' neighbours are not under test here
    common = {
        "database_url": database_url,
        "access_log": False,
        "db_connect_timeout_seconds": 2,
        **{f"{name}_url": nowhere for name in NEIGHBOURS},
    }
    apps = {
        "ingestion": ingestion_app(IngestionSettings(**common)),
        "incidents": incidents_app(IncidentSettings(**common)),
        "oncall": oncall_app(OncallSettings(**common)),
        "notify": notify_app(NotifySettings(**common)),
        "gateway": gateway_app(GatewaySettings(**common)),
    }
    async with contextlib.AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(running_app(app)) for name, app in apps.items()
        }


async def answers(clients: dict[str, httpx.AsyncClient]) -> list[tuple[str, str, int, str]]:
    out = []
    for service, method, path, body in REQUESTS:
        try:  # bound: an answer (a 503 when the database is gone) well within 30 s, never a hang
            response = await asyncio.wait_for(
                clients[service].request(method, path, json=body), timeout=ANSWER_BOUND_SECONDS
            )
        except TimeoutError:
            raise AssertionError(f"{service} {method} {path}: no answer in 30 s") from None
        out.append((service, path, response.status_code, response.headers.get("retry-after", "")))
    return out


def all_unavailable(got: list[tuple[str, str, int, str]]) -> list[tuple[str, str, int, str]]:
    """The answers that are not a 503 with Retry-After (empty when the test passes)."""
    return [answer for answer in got if answer[2] != 503 or not answer[3]]


async def test_every_service_answers_503_while_its_database_is_stopped(
    cluster: tuple[StoppablePostgres, str],
) -> None:
    postgres, url = cluster
    async with five_services(url) as clients:
        before = await answers(clients)
        assert all(status < 500 for _, _, status, _ in before), before

        # Shutting down: sessions already open may finish, new ones are refused with 57P03. The
        # services' pooled sessions are ended too, so each request needs a new connection.
        holder = await asyncpg.connect(with_database(url, "postgres"))
        try:
            postgres.begin_smart_shutdown()
            await holder.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                urlsplit(url).path.lstrip("/"),
            )
            during = await answers(clients)
            assert all_unavailable(during) == [], during
        finally:
            await holder.close()

        # Stopped: the Unix socket is gone.
        postgres.stop()
        stopped = await answers(clients)
        assert all_unavailable(stopped) == [], stopped

        # Back: the same processes serve again, no restart.
        postgres.start()
        after = await answers(clients)
        assert all(status < 500 for _, _, status, _ in after), after
