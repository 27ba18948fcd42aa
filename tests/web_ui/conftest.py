"""Browser tests: Debian's Chromium driven by Playwright against the real stack (`make up`).

The browser is never downloaded: Playwright launches /usr/bin/chromium (tools/bootstrap.sh
installs it with apt). Screenshots go to $UI_SCREENSHOT_DIR when set (`make screenshots` sets it
to docs/screenshots), else to the test run's temporary folder, so a plain `make test` leaves the
work tree clean.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)

from tests.stack_runner import ADMIN, Stack
from tests.web_ui.api_client import GatewayApi

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def ui_url(running_stack: Stack) -> str:
    return running_stack.ui_url


@pytest.fixture(scope="session")
def api(running_stack: Stack) -> Iterator[GatewayApi]:
    """An admin session and an ingest key on the gateway, one login for the whole run: the gateway
    allows 10 logins a minute per address, and the browser modules' own sign-ins need them."""
    gateway = GatewayApi.connect(running_stack.urls["api-gateway"])
    try:
        yield gateway
    finally:
        gateway.client.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("UI_SCREENSHOT_DIR")
    path = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


# The async API: the sync one keeps an event loop running in the main thread for the whole
# session, which the suite's async database fixtures cannot share.
@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser, ui_url: str) -> AsyncIterator[Page]:
    """A fresh browser profile per test (no session left over), 1280 px wide, 10 s waits."""
    context = await browser.new_context(base_url=ui_url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    tab = await context.new_page()
    try:
        yield tab
    finally:
        await context.close()


async def sign_in(page: Page, username: str, password: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def signed_in_context(
    browser: Browser,
    ui_url: str,
    username: str,
    password: str,
    *,
    viewport: ViewportSize | None = None,
) -> BrowserContext:
    """A browser profile signed in once, for a module's tests to share (the gateway allows 10
    logins a minute per address); 1280 x 860 unless told, 15 s waits."""
    context = await browser.new_context(
        base_url=ui_url, viewport=viewport or {"width": 1280, "height": 860}
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    await sign_in(page, username, password)
    await expect(page.get_by_test_id("current-user")).to_contain_text(username)
    await page.close()
    return context


@pytest.fixture(scope="module")
async def admin_context(browser: Browser, ui_url: str) -> AsyncIterator[BrowserContext]:
    """The admin signed in once for the module, 1280 x 900."""
    context = await signed_in_context(
        browser, ui_url, *ADMIN, viewport={"width": 1280, "height": 900}
    )
    yield context
    await context.close()


@pytest.fixture
async def admin_page(admin_context: BrowserContext) -> AsyncIterator[Page]:
    page = await admin_context.new_page()
    yield page
    await page.close()


async def shoot(page: Page, directory: Path, name: str) -> Path:
    """Save a full-page PNG and prove it is one (a blank or failed capture must not pass)."""
    path = directory / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, (
        f"{path} is not a real screenshot"
    )
    return path
