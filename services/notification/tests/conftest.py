"""Fixtures of the notification tests: apps on a manual clock, real local receivers (HTTP, SMTP)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from nightwatch_core.clock import ManualClock
from nightwatch_notify.main import create_app
from nightwatch_notify.settings import NotifySettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """A real HTTP server on a free loopback port; answers the scripted statuses, then 200."""

    statuses: list[int] = field(default_factory=list)
    delay_seconds: float = 0.0
    # While cleared, requests wait (bounded) for the test to release them.
    released: threading.Event = field(default_factory=threading.Event)
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)  # a slow receiver keeps a delivery in flight
        self.released.wait(timeout=30)
        with self._lock:
            status = self.statuses.pop(0) if self.statuses else 200
            self.requests.append(Received(path, headers, body, status))
        return status

    @property
    def successes(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.status < 300]


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # the default backlog of 5 refuses bursts of concurrent deliveries
    daemon_threads = True


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.answer(
                self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client timed out
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    servers: list[_Server] = []

    def start(statuses: list[int] | None = None, delay_seconds: float = 0.0) -> Receiver:
        receiver = Receiver(statuses=list(statuses or []), delay_seconds=delay_seconds)
        receiver.released.set()
        server = _Server(("127.0.0.1", 0), _handler_for(receiver))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A loopback port nothing listens on (for "server down" tests)."""
    return _free_port


class MailCollector:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, MailCollector]]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    collector = MailCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, collector
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
async def empty_outbox(db_engine: AsyncEngine) -> None:
    """Each test starts with no due work: earlier tests' unfinished notifications are closed."""
    async with db_engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE notification.notifications SET status = 'failed', next_attempt_at = NULL, "
                "last_error = 'closed between tests' WHERE status = 'pending'"
            )
        )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def notify_app(
    make_settings: Callable[..., Any], app_client: Callable[..., Any], clock: ManualClock
) -> Callable[..., contextlib.AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]:
    """``async with notify_app(**settings) as (app, client)``: worker off, driven by the test."""

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        overrides.setdefault("notify_worker_enabled", False)
        overrides.setdefault("retention_enabled", False)
        overrides.setdefault("notify_base_backoff_seconds", 10.0)
        overrides.setdefault("notify_max_backoff_seconds", 600.0)
        # The test receivers listen on loopback, which a webhook may reach only when allowed.
        overrides.setdefault("webhook_allowed_networks", "127.0.0.1")
        app = create_app(make_settings(NotifySettings, **overrides), clock=clock)
        async with app_client(app) as client:
            yield app, client

    return start


async def _drain(app: FastAPI) -> None:
    for _ in range(200):
        if await app.state.delivery.run_due(app) == 0:
            return
    raise AssertionError("delivery worker never ran out of due notifications")


@pytest.fixture
def drain() -> Callable[[FastAPI], Any]:
    """``await drain(app)``: run the delivery worker until nothing is due (bounded)."""
    return _drain


def _notify_body(**fields: Any) -> dict[str, Any]:
    body = {"recipient": "alice", "channel": "mock", "subject": "DB down", "message": "p99 > 2s"}
    return body | fields


@pytest.fixture
def notify_body() -> Callable[..., dict[str, Any]]:
    """A valid POST /api/v1/notify body (mock channel) with the given fields replaced."""
    return _notify_body
