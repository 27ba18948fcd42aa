"""A real Prometheus (Debian's binary) scraping a running stack every second, for the tests."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.ops.tooling import binary
from tests.stack_runner import Stack, port_is_free
from tools import prometheus_local

SCRAPE_INTERVAL_SECONDS = 1


def _free_port() -> int:
    for port in range(39090, 39990, 7):
        if port_is_free(port):
            return port
    raise RuntimeError("no free port for Prometheus")


def stack_ports(stack: Stack) -> dict[str, int]:
    return {name: int(url.rsplit(":", 1)[1]) for name, url in stack.urls.items()}


@contextlib.contextmanager
def prometheus_for(stack: Stack, state_dir: Path) -> Iterator[str]:
    """Start Prometheus with the stack's own (templated) configuration; yield its base URL."""
    port = _free_port()
    argv = prometheus_local.prometheus_argv(
        binary("prometheus"),
        state_dir,
        stack_ports(stack),
        prometheus_port=port,
        scrape_interval=f"{SCRAPE_INTERVAL_SECONDS}s",
    )
    log = (state_dir / "prometheus.log").open("wb")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _get(f"{base}/-/ready").status_code == 200, "Prometheus ready")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def _get(url: str, **params: str) -> httpx.Response:
    try:
        return httpx.get(url, params=params, timeout=5)
    except httpx.TransportError:
        return httpx.Response(599)


def wait_until(condition: Any, what: str, attempts: int = 120, pause: float = 0.5) -> None:
    for _ in range(attempts):
        if condition():
            return
        time.sleep(pause)
    raise AssertionError(f"timed out waiting for {what}")


def targets(base: str) -> dict[str, str]:
    active = _get(f"{base}/api/v1/targets").json()["data"]["activeTargets"]
    return {t["labels"]["job"]: t["health"] for t in active}


def wait_for_every_target_up(base: str) -> None:
    def all_up() -> bool:
        health = targets(base)
        return bool(health) and set(health.values()) == {"up"}

    wait_until(all_up, "every target up")


def wait_for_scrapes(base: str, count: int = 3) -> None:
    """Let Prometheus scrape every target `count` more times (no wall-clock assertion)."""
    last = time.time()
    for _ in range(count):
        wait_until(lambda last=last: _oldest_scrape(base) > last, "the next scrape of every target")
        last = _oldest_scrape(base)


def _oldest_scrape(base: str) -> float:
    """When the target scraped longest ago was last scraped (Prometheus's timestamp)."""
    result = query(base, "min(timestamp(up))")
    return float(result[0]["value"][1]) if result else 0.0


def query_response(base: str, expr: str) -> dict[str, Any]:
    body: dict[str, Any] = _get(f"{base}/api/v1/query", query=expr).json()
    return body


def query(base: str, expr: str) -> list[dict[str, Any]]:
    body = query_response(base, expr)
    assert body["status"] == "success", (expr, body)
    result: list[dict[str, Any]] = body["data"]["result"]
    return result
