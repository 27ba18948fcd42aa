"""The console served by nginx on the stack's UI port, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.web_ui.conftest import shoot, sign_in


def test_nginx_serves_the_app_and_proxies_the_api(ui_url: str) -> None:
    deep_link = httpx.get(f"{ui_url}/incidents/some-id", timeout=5)
    assert deep_link.status_code == 200 and '<div id="root">' in deep_link.text
    assert deep_link.headers["x-content-type-options"] == "nosniff"
    # /api/* reaches the gateway: its JSON error body, with a request id, comes back unchanged.
    api = httpx.get(f"{ui_url}/api/v1/no-such-route", timeout=5)
    assert api.status_code in (401, 404), api.text
    assert api.json()["error"]["request_id"]
    assert httpx.get(f"{ui_url}/health/ready", timeout=5).status_code == 200


async def test_a_signed_out_visitor_is_sent_to_the_login_page(
    page: Page, screenshot_dir: Path
) -> None:
    await page.goto("/incidents")
    await expect(page).to_have_url(re.compile(r"/login$"))
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await shoot(page, screenshot_dir, "login")


async def test_a_wrong_password_shows_an_error(page: Page) -> None:
    await sign_in(page, "admin", "not-the-password")
    await expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    await expect(page).to_have_url(re.compile(r"/login$"))
