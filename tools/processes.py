"""The processes `make up` runs, by pid file: the stack's settings, start, stop, wait for ready.

Kept apart from tools/stack.py (which decides *what* runs) so tools/rolling_restart.py and the
benches use the same code; tools/stack.py re-exports these names.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ManagedProcess:
    name: str
    argv: list[str]
    port: int
    ready_url: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class StackConfig:
    state_dir: Path
    host: str
    port_offset: int
    ready_timeout: float

    @classmethod
    def from_env(cls) -> StackConfig:
        return cls(
            state_dir=Path(os.environ.get("STACK_DIR", ROOT / ".stack")).resolve(),
            host=os.environ.get("STACK_HOST", "127.0.0.1"),
            port_offset=int(os.environ.get("STACK_PORT_OFFSET", "0")),
            ready_timeout=float(os.environ.get("STACK_READY_TIMEOUT", "90")),
        )

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def pids(self) -> Path:
        return self.state_dir / "pids"

    @property
    def pgdata(self) -> Path:
        return self.state_dir / "pgdata"


# ------------------------------------------------------------------ processes by pid file
def pid_file(config: StackConfig, name: str) -> Path:
    return config.pids / f"{name}.pid"


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone (reaped if it is our child; a restarted
    # replica is the child of whoever restarted it).
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def running_pid(config: StackConfig, name: str) -> int | None:
    path = pid_file(config, name)
    if not path.exists():
        return None
    try:
        pid = int(path.read_text().strip())
    except ValueError:
        return None
    return pid if is_alive(pid) else None


def start(config: StackConfig, process: ManagedProcess) -> int:
    existing = running_pid(config, process.name)
    if existing:
        return existing
    config.logs.mkdir(parents=True, exist_ok=True)
    config.pids.mkdir(parents=True, exist_ok=True)
    log = open(config.logs / f"{process.name}.log", "ab")  # noqa: SIM115 - handed to the child
    child = subprocess.Popen(
        process.argv,
        cwd=ROOT,
        env={**os.environ, **process.env},
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # detached: survives this command, stopped by pid
    )
    log.close()
    pid_file(config, process.name).write_text(str(child.pid))
    return child.pid


def stop_pid(pid: int, *, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def log_tail(config: StackConfig, name: str, lines: int = 40) -> str:
    path = config.logs / f"{name}.log"
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_ready(config: StackConfig, processes: list[ManagedProcess]) -> list[str]:
    """Wait until every ready_url answers 200; return the names that never did."""
    pending = {p.name: p for p in processes}
    deadline = time.monotonic() + config.ready_timeout
    while pending and time.monotonic() < deadline:
        for name, process in list(pending.items()):
            if running_pid(config, name) is None:
                return [name]  # died: no point waiting for it
            with (
                contextlib.suppress(urllib.error.URLError, OSError),
                urllib.request.urlopen(process.ready_url, timeout=2) as response,
            ):
                if response.status == 200:
                    del pending[name]
        time.sleep(0.25)
    return list(pending)
