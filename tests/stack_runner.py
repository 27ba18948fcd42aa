"""Start the real stack as processes for end-to-end tests: the same code path as `make up`."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.replicas import extra_ports

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS_PORT = 9090  # `make up` also starts Prometheus on 9090 + offset
START_ATTEMPTS = 3
# The first admin of a test stack, with a password chosen like an operator would
# (BOOTSTRAP_ADMIN_PASSWORD): the published default would have to be changed before any call.
ADMIN_PASSWORD = "e2e-admin-password"
ADMIN = ("admin", ADMIN_PASSWORD)


def stack_ports() -> dict[str, int]:
    services = tomllib.loads((ROOT / "tools" / "stack.toml").read_text())["services"]
    return {name: spec["port"] for name, spec in services.items()}


def ui_port() -> int:
    """The web UI's nginx (not a Python service: no /metrics, so not in `urls`)."""
    return int(tomllib.loads((ROOT / "tools" / "stack.toml").read_text())["ui"]["port"])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_offset(extra_ports: tuple[int, ...] = ()) -> int:
    """An offset that puts every stack port on a free port (so a test stack runs beside yours)."""
    ports = (*stack_ports().values(), *extra_ports)
    for _ in range(200):
        offset = random.randrange(10_000, 50_000, 10)
        if all(port_is_free(port + offset) for port in ports):
            return offset
    raise RuntimeError("no free port range for a test stack")


@dataclass
class Stack:
    state_dir: Path
    env: dict[str, str]
    urls: dict[str, str]
    ui_url: str

    def run(self, target: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return self.command(["make", "--no-print-directory", target], timeout=timeout)

    def command(self, argv: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the repository with this stack's settings (directory, ports, database)."""
        return subprocess.run(
            argv,
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def up(self) -> None:
        result = self.run("up")
        if result.returncode != 0:
            raise RuntimeError(f"make up failed:\n{result.stdout}\n{result.stderr}")

    def down(self) -> None:
        self.run("down", timeout=120)

    def stop_service(self, name: str) -> None:
        """Stop one of this stack's processes (as a crash or an outage would) and wait for it;
        ``up()`` starts it again."""
        pid = self.pids()[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        for _ in range(150):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        raise AssertionError(f"{name} (pid {pid}) did not stop")

    def service_headers(self) -> dict[str, str]:
        """The stack's service credential (what the gateway adds), for direct calls that name an
        actor or reach /internal/v1; read the way an operator would."""
        shown = subprocess.run(
            [sys.executable, "-m", "nightwatch_core.secrets", "show", "service_token"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return {"X-Service-Token": shown.stdout.strip()}

    def pids(self) -> dict[str, int]:
        pid_dir = self.state_dir / "pids"
        if not pid_dir.exists():
            return {}
        return {p.stem: int(p.read_text()) for p in pid_dir.glob("*.pid")}


def make_stack(
    state_dir: Path, *, database_url: str | None, offset: int | None = None, **extra_env: str
) -> Stack:
    if offset is None:
        # `make up REPLICAS=N` also takes each service port + 100 x k (tools/replicas.py).
        replica_ports = extra_ports(list(stack_ports().values()), int(extra_env.get("REPLICAS", 1)))
        offset = free_port_offset(extra_ports=(PROMETHEUS_PORT, ui_port(), *replica_ports))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        STACK_DIR=str(state_dir),
        STACK_PORT_OFFSET=str(offset),
        PYTHON=sys.executable,
        BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
        **extra_env,
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    urls = {name: f"http://127.0.0.1:{port + offset}" for name, port in stack_ports().items()}
    ui_url = f"http://127.0.0.1:{ui_port() + offset}"
    return Stack(state_dir=state_dir, env=env, urls=urls, ui_url=ui_url)


def up_on_free_ports(new_stack: Callable[[], Stack], attempts: int = START_ATTEMPTS) -> Stack:
    """`make up` a stack from ``new_stack()`` (free ports, own directory) and return it.

    Other runs on this machine start stacks too: a port found free can be taken before our
    service binds it. Then try again on another port range (bounded).
    """
    for attempt in range(1, attempts + 1):
        stack = new_stack()
        try:
            stack.up()
            return stack
        except BaseException as error:  # also Ctrl-C or SIGTERM in the middle of `make up`
            stack.down()  # a failed or interrupted start still leaves processes behind
            if not isinstance(error, RuntimeError) or attempt == attempts:
                raise
    raise RuntimeError("no attempt to start the stack")


def always_on_call_schedule(*, name: str, team: str, user_id: str) -> dict[str, Any]:
    """A schedule body putting one user on call for ``team`` around the clock."""
    return {
        "name": name,
        "team": team,
        "timezone": "UTC",
        "layers": [
            {
                "participants": [user_id],
                "rotation_type": "weekly",
                "start_date": "2026-01-01",
                "handoff_time": "09:00",
            }
        ],
    }
