"""`make up` / `make down` end to end: embedded PostgreSQL, five healthy services, nothing left."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from tests.stack_runner import make_stack


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_make_up_then_down_with_embedded_postgres(tmp_path: Path) -> None:
    stack = make_stack(tmp_path / "stack", database_url=None)
    try:
        result = stack.run("up")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "embedded PostgreSQL" in result.stdout
        for url in stack.urls.values():
            assert url in result.stdout  # the URLs are printed

        for name, url in stack.urls.items():
            assert httpx.get(f"{url}/health", timeout=5).status_code == 200, name
            ready = httpx.get(f"{url}/health/ready", timeout=5)
            assert ready.status_code == 200, (name, ready.text)
        first_pids = stack.pids()
        # Five services, Prometheus (installed by tools/bootstrap.sh, started by `make up`) and the
        # web UI's nginx.
        assert set(first_pids) == {*stack.urls, "prometheus", "web-ui"}
        assert stack.ui_url in result.stdout
        console = httpx.get(stack.ui_url + "/incidents/any", timeout=5)
        assert console.status_code == 200 and '<div id="root">' in console.text

        again = stack.run("up")  # twice is harmless: same processes
        assert again.returncode == 0, again.stdout + again.stderr
        assert stack.pids() == first_pids

        postmaster = stack.state_dir / "pgdata" / "postmaster.pid"
        pg_pid = int(postmaster.read_text().splitlines()[0])
    finally:
        down = stack.run("down")
    assert down.returncode == 0, down.stdout + down.stderr

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in [*first_pids.values(), pg_pid]):
        time.sleep(0.1)
    assert not [name for name, pid in first_pids.items() if _alive(pid)]
    assert not _alive(pg_pid), "embedded PostgreSQL still running"
    for url in stack.urls.values():
        with pytest.raises(httpx.ConnectError):  # nothing listens any more
            httpx.get(f"{url}/health", timeout=2)
    assert not list((stack.state_dir / "pids").glob("*.pid"))
    # Data stays for the next `make up`.
    assert (stack.state_dir / "pgdata" / "PG_VERSION").exists()


def test_make_up_reports_a_service_that_fails(tmp_path: Path, database_url: str) -> None:
    """A service that cannot start makes `make up` fail loudly with its log tail."""
    stack = make_stack(tmp_path / "stack", database_url=database_url, HTTP_RETRIES="999")
    try:
        result = stack.run("up")
    finally:
        stack.down()
    assert result.returncode != 0
    assert "did not become ready" in result.stderr
    assert "http_retries" in result.stderr  # the failing service's own error is shown
