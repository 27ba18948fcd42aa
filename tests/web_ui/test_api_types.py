"""The console's API types cannot drift: it must type-check against the live gateway's OpenAPI.

web-ui/src/api/openapi.d.ts is generated (`npm run gen:types`) from the gateway's aggregated
/openapi.json and every response type of the console is an alias into it. This test regenerates
that file from the running stack into a copy of the console and runs the TypeScript compiler: a
renamed field, a changed enum or a removed route the console uses fails here, while additions the
console does not use pass.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx

from tests.stack_runner import ROOT, Stack

WEB_UI = ROOT / "web-ui"


def _npx(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npx", "--no-install", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _complete_openapi(gateway_url: str) -> dict:
    """The gateway leaves out (and names) a service it could not reach in time; ask again."""
    document: dict = {}
    for _ in range(20):
        response = httpx.get(f"{gateway_url}/openapi.json", timeout=10)
        assert response.status_code == 200, response.text
        document = response.json()
        if not document.get("x-unavailable-services"):
            return document
        time.sleep(1)
    raise AssertionError(f"services missing: {document.get('x-unavailable-services')}")


def test_the_console_type_checks_against_the_live_openapi(
    running_stack: Stack, tmp_path: Path
) -> None:
    document = _complete_openapi(running_stack.urls["api-gateway"])
    for used in (
        "/api/v1/auth/login",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/alerts",
        "/api/v1/schedules/{schedule_id}/shifts",
        "/api/v1/escalation-policies",
        "/api/v1/notifications",
        "/api/v1/incidents/stats/timeseries",
        "/api/v1/incidents/stats/by-group",
        "/api/v1/alerts/stats/timeseries",
        "/api/v1/alerts/stats/top-services",
    ):
        assert used in document["paths"], f"{used} missing from the gateway's OpenAPI"
    (tmp_path / "openapi.json").write_text(json.dumps(document))

    copy = tmp_path / "ui"
    shutil.copytree(WEB_UI / "src", copy / "src")
    for name in ("tsconfig.json", "vite.config.ts", "package.json"):
        shutil.copy(WEB_UI / name, copy / name)
    (copy / "node_modules").symlink_to(WEB_UI / "node_modules")

    generated = _npx(
        ["openapi-typescript", str(tmp_path / "openapi.json"), "-o", "src/api/openapi.d.ts"], copy
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    checked = _npx(["tsc", "-p", "tsconfig.json", "--noEmit"], copy)
    assert checked.returncode == 0, (
        "The console no longer type-checks against the gateway's OpenAPI. Run "
        "`cd web-ui && npm run gen:types` against a running stack and fix what breaks:\n"
        + checked.stdout
        + checked.stderr
    )
