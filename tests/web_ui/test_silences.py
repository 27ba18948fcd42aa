"""Silences, maintenance windows and heartbeats in a real browser against the real stack (issue
#16): a responder silences a service from the console, the alert that follows is held back and
shown as silenced, the dashboard says a silence is active, expiring it from the console opens the
incident; an admin creates a heartbeat and sees its ping URL, which answers a plain GET."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.stack_runner import ADMIN
from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import shoot, sign_in


async def _page_as(browser: Browser, ui_url: str, username: str, password: str) -> Page:
    context = await browser.new_context(base_url=ui_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = await context.new_page()
    await sign_in(page, username, password)
    await expect(page.get_by_test_id("current-user")).to_contain_text(username)
    return page


@pytest.fixture
async def responder_page(browser: Browser, ui_url: str, api: GatewayApi) -> AsyncIterator[Page]:
    page = await _page_as(browser, ui_url, *api.create_account("responder"))
    yield page
    await page.context.close()


@pytest.fixture
async def admin_page(browser: Browser, ui_url: str) -> AsyncIterator[Page]:
    page = await _page_as(browser, ui_url, *ADMIN)
    yield page
    await page.context.close()


async def test_a_responder_silences_a_service_and_expires_the_silence(
    responder_page: Page, api: GatewayApi
) -> None:
    page = responder_page
    service = f"checkout-{uuid.uuid4().hex[:6]}"
    await page.goto("/silences")
    await expect(page.get_by_role("heading", name="Silences & maintenance")).to_be_visible()
    await expect(page.get_by_role("region", name="Heartbeats")).to_have_count(0)  # admin's

    form = page.get_by_role("form", name="New silence")
    await form.get_by_label("Matchers (one a line)").fill('service=~"(broken"')
    await form.get_by_label("Comment").fill("deploying checkout")
    await form.get_by_role("button", name="Silence").click()
    await expect(page.get_by_role("alert")).to_contain_text("invalid regular expression")

    await form.get_by_label("Matchers (one a line)").fill(f'service="{service}"')
    await form.get_by_role("button", name="Silence").click()
    row = page.get_by_test_id("silence-row").filter(has_text=service)
    await expect(row).to_contain_text("active")

    held = api.post_alert(service=service, severity="high", message="5xx above 10%")
    assert held["result"] == "suppressed", held
    await page.goto(f"/alerts?service={service}")
    await expect(page.get_by_test_id("alert-silenced")).to_have_text("silenced")

    await page.goto("/")
    await expect(page.get_by_test_id("suppression-banner")).to_contain_text(
        re.compile(r"[1-9]\d* silences? and")
    )

    await page.goto("/silences")
    await row.get_by_role("button", name="Expire").click()
    await expect(row).to_have_count(0)  # the list shows active silences
    # Never resolved: the held alert is sent on and opens its incident (release worker, woken).
    await page.goto(f"/alerts?service={service}")
    await expect(page.get_by_role("link", name="view incident")).to_be_visible(timeout=30_000)


async def test_an_admin_creates_a_heartbeat_and_its_ping_url_works(
    admin_page: Page, api: GatewayApi, screenshot_dir: Path
) -> None:
    page = admin_page
    name = f"nightly-backup-{uuid.uuid4().hex[:6]}"
    soon = datetime.now(UTC) + timedelta(days=1)
    window = api.client.post(
        "/api/v1/maintenance-windows",
        json={
            "name": "Orders DB patching",
            "services": ["orders-db", "orders-api"],
            "starts_at": soon.isoformat(),
            "ends_at": (soon + timedelta(hours=2)).isoformat(),
            "recurrence": "weekly",
            "time_zone": "Europe/Berlin",
        },
        headers=api.admin,
    )
    assert window.status_code == 201, window.text
    await page.goto("/silences")
    await expect(page.get_by_test_id("window-row").first).to_contain_text("weekly (Europe/Berlin)")
    form = page.get_by_role("form", name="New heartbeat")
    await form.get_by_label("Heartbeat name").fill(name)
    await form.get_by_label("Team").fill("platform")
    await form.get_by_label("Interval (minutes)").fill("1440")
    await form.get_by_role("button", name="Create heartbeat").click()
    row = page.get_by_test_id("heartbeat-row").filter(has_text=name)
    await expect(row).to_contain_text("waiting")
    ping_url = await row.locator(".font-mono").inner_text()
    assert "/api/v1/heartbeats/ping/nwh_" in ping_url

    # Pinged through the console's nginx (it proxies /api/* to the gateway), with no login.
    path = "/api/" + ping_url.split("/api/", 1)[1]
    ping = await page.context.request.get(path, headers={"Authorization": ""})
    assert ping.status == 200, await ping.text()
    await page.reload()
    await expect(row).to_contain_text("up")
    await shoot(page, screenshot_dir, "silences")
