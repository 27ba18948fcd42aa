"""Alert POST -> the incident's row in open consoles, by push (`make bench-push`, issue #15).

Starts the stack as `make up` does (own ports, throwaway database), opens BENCH_BROWSERS
consoles in Debian's Chromium (Playwright, never a downloaded browser) on the incident list, waits
until each one's event stream is live (the console then does not poll at all), and posts
BENCH_ALERTS alerts one after another through the gateway with an ingest API key, each opening a
new incident. For every alert and every console: the time from just before the POST to the moment
the row is in that console's page (a MutationObserver in the page notes it). Clocks: the
load generator's and the browser's wall clock on the same machine.

Prints p50 / p95 / max over every (alert, console) pair and fails (exit 1) if a row never arrives
within BENCH_TIMEOUT_SECONDS or p95 exceeds BENCH_P95_TARGET_SECONDS (1.0).

    make bench-push
    BENCH_BROWSERS=10 BENCH_ALERTS=100 make bench-push
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid

import httpx
from playwright.async_api import Page, async_playwright

from bench.stack_api import ingest_api_key
from bench.stack_harness import running_stack, throwaway_database
from bench.stack_stats import percentile
from tests.stack_runner import ADMIN, Stack
from tests.web_ui.conftest import CHROMIUM, CHROMIUM_FLAGS

BROWSERS = int(os.environ.get("BENCH_BROWSERS", "5"))
ALERTS = int(os.environ.get("BENCH_ALERTS", "40"))
GAP_SECONDS = float(os.environ.get("BENCH_GAP_SECONDS", "0.25"))
TIMEOUT_SECONDS = float(os.environ.get("BENCH_TIMEOUT_SECONDS", "10"))
P95_TARGET = float(os.environ.get("BENCH_P95_TARGET_SECONDS", "1.0"))

# In every console: when did a row naming a service of this run first appear (epoch ms)?
WATCH_ROWS = """
window.__seen = {};
new MutationObserver(() => {
  for (const row of document.querySelectorAll('[data-testid="incident-row"]')) {
    const match = row.textContent.match(/pushbench-[0-9a-f]+-\\d+/);
    if (match && !(match[0] in window.__seen)) window.__seen[match[0]] = Date.now();
  }
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


async def _sessions(gateway: str, count: int) -> list[dict[str, object]]:
    """One viewer per console, like five people (the gateway caps event streams per
    credential), each signed in once (the gateway allows 10 logins a minute per address)."""
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as client:
        admin = await _login(client, *ADMIN)
        headers = {"Authorization": f"Bearer {admin['token']}"}
        sessions = []
        for _ in range(count):
            account = {
                "username": f"viewer-{uuid.uuid4().hex[:6]}",
                "password": uuid.uuid4().hex,
                "role": "viewer",
                "must_change_password": False,
            }
            made = await client.post("/api/v1/accounts", json=account, headers=headers)
            made.raise_for_status()
            sessions.append(await _login(client, account["username"], account["password"]))
    return sessions


async def _login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, object]:
    login = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    login.raise_for_status()
    body = login.json()
    return {
        "token": body["access_token"],
        "user": body["user"],
        "expiresAt": int(time.time() * 1000) + body["expires_in"] * 1000,
    }


async def _console(browser: object, stack: Stack, session: dict[str, object]) -> Page:
    context = await browser.new_context(base_url=stack.ui_url)  # type: ignore[attr-defined]
    await context.add_init_script(
        f"localStorage.setItem('nightwatch.session', {json.dumps(json.dumps(session))});"
        + WATCH_ROWS
    )
    page: Page = await context.new_page()
    await page.goto("/incidents")
    await (
        page.get_by_test_id("live-mode")
        .and_(page.locator("[data-mode=live]"))
        .wait_for(timeout=20_000)
    )
    return page


async def _arrivals(pages: list[Page], marker: str, deadline: float) -> list[float | None]:
    seen: list[float | None] = [None] * len(pages)
    while time.monotonic() < deadline and None in seen:
        for index, page in enumerate(pages):
            if seen[index] is None:
                seen[index] = await page.evaluate(f"window.__seen[{json.dumps(marker)}] ?? null")
        if None in seen:
            await asyncio.sleep(0.05)
    return seen


async def run(stack: Stack) -> int:
    gateway = stack.urls["api-gateway"]
    key = await ingest_api_key(gateway, *ADMIN)
    sessions = await _sessions(gateway, BROWSERS)
    run_id = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    missing = 0
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            pages = [await _console(browser, stack, session) for session in sessions]
            print(f"{BROWSERS} consoles live; posting {ALERTS} alerts", flush=True)
            async with httpx.AsyncClient(base_url=gateway, timeout=15) as client:
                for n in range(ALERTS):
                    marker = f"pushbench-{run_id}-{n}"
                    posted_ms = time.time() * 1000
                    response = await client.post(
                        "/api/v1/alerts",
                        json={"service": marker, "severity": "high", "message": "push bench"},
                        headers={"X-API-Key": key},
                    )
                    response.raise_for_status()
                    seen = await _arrivals(pages, marker, time.monotonic() + TIMEOUT_SECONDS)
                    missing += seen.count(None)
                    latencies += [(at - posted_ms) / 1000 for at in seen if at is not None]
                    await asyncio.sleep(GAP_SECONDS)
        finally:
            await browser.close()
    if not latencies:
        print("no row arrived in any console")
        return 1
    ordered = sorted(latencies)
    p95 = percentile(ordered, 0.95)
    print(
        json.dumps(
            {
                "browsers": BROWSERS,
                "alerts": ALERTS,
                "samples": len(latencies),
                "missing": missing,
                "p50_s": round(statistics.median(ordered), 3),
                "p95_s": round(p95, 3),
                "max_s": round(ordered[-1], 3),
                "target_p95_s": P95_TARGET,
            }
        )
    )
    return 0 if missing == 0 and p95 <= P95_TARGET else 1


def main() -> int:
    with throwaway_database() as database_url, running_stack(database_url) as stack:
        return asyncio.run(run(stack))


if __name__ == "__main__":
    raise SystemExit(main())
