"""A PostgreSQL cluster of the test's own (pgserver, on a Unix socket) that a test may stop.

Cutting a TCP proxy is not the same outage as a stopped server: on a Unix socket the socket file
disappears (``FileNotFoundError`` on connect), and a server that is shutting down or starting up
answers ``57P03 cannot connect now``. Tests of "503 during an outage" and the fault suite stop
this one, never the shared server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


class StoppablePostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def start(self) -> str:
        """Start (or restart) the cluster; return a libpq URL of its ``postgres`` database."""
        import pgserver  # only the tests that stop a database need it

        self.data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(self.data_dir, cleanup_mode=None)
        server.ensure_postgres_running()
        return str(server.get_uri("postgres"))

    def pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def begin_smart_shutdown(self) -> None:
        """SIGTERM: PostgreSQL waits for the connected sessions and refuses new ones with 57P03."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT): sessions are ended, the socket file is removed."""
        pid = self.pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while self.pid() == pid:  # PostgreSQL removes its pid file last when it stops
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL {pid} did not stop within {timeout}s")
            time.sleep(0.05)
