"""Restart every replica of a `make up REPLICAS=N` stack in turn, without a failed request:
``make rolling-restart`` (same STACK_DIR, STACK_PORT_OFFSET, DATABASE_URL and REPLICAS as `make up`).

For each replica, what Kubernetes does with a Deployment's rolling update:
1. drain: nginx stops sending it new requests (marked `down`, configuration reloaded), and the
   old nginx worker, which may still have requests on their way to it, has exited;
2. stop: SIGTERM; uvicorn finishes the requests it holds, the workers' open transactions roll
   back, so any job, page or notification it had claimed goes back to the other replica;
3. start it again and wait for its /health/ready;
4. undrain: nginx sends it requests again.
Each phase is timed; the figures go to docs/operations.md.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

try:
    from tools import replicas, stack
except ImportError:  # run as a script: tools/ itself is on sys.path
    import replicas  # type: ignore[no-redef]
    import stack  # type: ignore[no-redef]

WORKER_EXIT_TIMEOUT = 60.0


@dataclass
class Restart:
    name: str
    drain_seconds: float  # until no request can still reach it through nginx
    stop_seconds: float  # SIGTERM until the process is gone (in-flight requests finished)
    ready_seconds: float  # start until /health/ready answers 200


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def reload_balancer(config: stack.StackConfig, count: int, drained: frozenset[str]) -> None:
    """Rewrite nginx's configuration and reload it; return once every old worker has exited,
    i.e. once no request can still go where the old configuration sent it."""
    stack.balancer_process(config, count, drained)  # writes the configuration
    master = stack.running_pid(config, replicas.NAME)
    if master is None:
        raise RuntimeError("the balancer is not running: start the stack with REPLICAS >= 2")
    old_workers = _children(master)
    os.kill(master, signal.SIGHUP)
    deadline = time.monotonic() + WORKER_EXIT_TIMEOUT
    while _children(master) & old_workers:
        if time.monotonic() > deadline:
            raise RuntimeError("nginx's old workers did not finish their requests")
        time.sleep(0.02)


def restart_replica(
    config: stack.StackConfig, process: stack.ManagedProcess, count: int
) -> Restart:
    began = time.monotonic()
    reload_balancer(config, count, frozenset({process.name}))
    drained = time.monotonic()
    pid = stack.running_pid(config, process.name)
    if pid is not None:
        stack.stop_pid(pid, timeout=30.0)
    stopped = time.monotonic()
    stack.start(config, process)
    failed = stack.wait_ready(config, [process])
    if failed:
        raise RuntimeError(
            f"{process.name} did not become ready:\n{stack.log_tail(config, process.name)}"
        )
    ready = time.monotonic()
    reload_balancer(config, count, frozenset())
    return Restart(process.name, drained - began, stopped - drained, ready - stopped)


def restart_all(config: stack.StackConfig, database_url: str, count: int) -> list[Restart]:
    """Every replica of every Python service, one at a time."""
    if count < 2:
        raise ValueError("a rolling restart needs REPLICAS >= 2 (one replica must keep serving)")
    processes = replicas.expand(stack.service_processes(config, database_url), count)
    return [restart_replica(config, process, count) for process in processes]


def main() -> int:
    config = stack.StackConfig.from_env()
    count = replicas.replica_count()
    if count < 2:
        print("make rolling-restart needs the REPLICAS (>= 2) the stack runs with", file=sys.stderr)
        return 2
    database_url = os.environ.get("DATABASE_URL") or stack.embedded_database_url(config)
    print(f"{'replica':<24} {'drain s':>8} {'stop s':>8} {'ready s':>8}")
    for process in replicas.expand(stack.service_processes(config, database_url), count):
        result = restart_replica(config, process, count)
        print(
            f"{result.name:<24} {result.drain_seconds:>8.2f} {result.stop_seconds:>8.2f} "
            f"{result.ready_seconds:>8.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
