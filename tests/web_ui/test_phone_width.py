"""Issue #15 item 7: the console on a phone (390 x 844), in Chromium against the real stack.

At 3 a.m. on a phone no page scrolls sideways, the incident list shows status and age, and on an
incident Acknowledge is the first thing on screen, above the figures."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, ViewportSize, expect

from tests.stack_runner import ADMIN
from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import shoot, signed_in_context

PHONE: ViewportSize = {"width": 390, "height": 844}

# The page itself must not scroll sideways: neither the document nor the column beside the menu
# (which has overflow-x: auto for wide desktop tables). A wide table may scroll inside its own card.
PAGE_WIDTHS = """() => {
  const column = document.getElementById("main").parentElement;
  return { document: document.documentElement.scrollWidth, column: column.scrollWidth };
}"""


@pytest.fixture(scope="module")
async def phone(browser: Browser, ui_url: str) -> AsyncIterator[Page]:
    """One tab, signed in once for the module (the gateway allows 10 logins a minute)."""
    context = await signed_in_context(browser, ui_url, *ADMIN, viewport=PHONE)
    yield await context.new_page()
    await context.close()


@pytest.fixture(scope="module")
def incident_id(api: GatewayApi) -> str:
    service = f"phone-{uuid.uuid4().hex[:6]}"
    return api.post_alert(service=service, severity="critical", message="Checkout 5xx")[
        "incident_id"
    ]


async def assert_no_sideways_scroll(page: Page, where: str) -> None:
    widths = await page.evaluate(PAGE_WIDTHS)
    assert widths["document"] <= PHONE["width"] and widths["column"] <= PHONE["width"], (
        f"{where} scrolls sideways at 390 px: {widths}"
    )


async def assert_on_screen(locator: Locator, what: str) -> None:
    await expect(locator).to_be_visible()
    box = await locator.bounding_box()
    assert box is not None, what
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
        f"{what} is off-screen: {box}"
    )


async def test_no_page_scrolls_sideways_on_a_phone(
    phone: Page, api: GatewayApi, incident_id: str, screenshot_dir: Path
) -> None:
    page = phone
    username, _ = api.create_account("responder")

    await page.goto("/")
    await expect(page.get_by_test_id("open-count")).not_to_have_text("—")
    await assert_no_sideways_scroll(page, "Dashboard")

    await page.goto(f"/alerts?incident_id={incident_id}")
    await expect(page.get_by_test_id("alert-row").first).to_contain_text("Checkout 5xx")
    await assert_no_sideways_scroll(page, "Alerts")

    await page.goto("/oncall")
    await expect(page.get_by_role("heading", name="On-call")).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
    await assert_no_sideways_scroll(page, "On-call")

    await page.goto("/silences")
    await expect(page.get_by_role("heading", name="Silences & maintenance")).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
    await assert_no_sideways_scroll(page, "Silences")

    await page.goto("/settings")
    await expect(page.get_by_role("region", name="Users and roles")).to_contain_text(username)
    await expect(page.get_by_test_id("api-key-row").first).to_be_visible()
    await assert_no_sideways_scroll(page, "Settings")
    users = page.get_by_role("region", name="Users and roles")
    account = users.get_by_role("row").filter(has=page.get_by_label(f"Role of {username}"))
    await assert_on_screen(account.get_by_role("button", name="Delete"), "Delete of an account")
    revoke = page.get_by_test_id("api-key-row").get_by_role("button", name="Revoke").first
    await assert_on_screen(revoke, "Revoke of an API key")
    await shoot(page, screenshot_dir, "phone-settings")

    for path in ("/incidents", f"/incidents/{incident_id}"):
        await page.goto(path)
        await expect(page.get_by_test_id("status").first).to_be_visible()
        await assert_no_sideways_scroll(page, path)


async def test_the_incident_list_shows_status_and_age_on_a_phone(
    phone: Page, incident_id: str, screenshot_dir: Path
) -> None:
    page = phone
    await page.goto("/incidents")
    row = page.locator(f'[data-testid="incident-row"][data-incident-id="{incident_id}"]')
    await expect(row).to_be_visible(timeout=20_000)
    await assert_on_screen(row.get_by_test_id("status"), "the status")
    await assert_on_screen(row.get_by_test_id("age"), "the age")
    await expect(row.get_by_test_id("age")).to_have_text(re.compile(r"ago|just now"))
    await shoot(page, screenshot_dir, "phone-incidents")


async def test_acknowledge_is_the_first_thing_on_screen_on_a_phone(
    phone: Page, incident_id: str, screenshot_dir: Path
) -> None:
    page = phone
    await page.goto(f"/incidents/{incident_id}")
    acknowledge = page.get_by_role("region", name="Actions").get_by_role(
        "button", name="Acknowledge"
    )
    await assert_on_screen(acknowledge, "Acknowledge")
    button = await acknowledge.bounding_box()
    assert button is not None
    assert button["y"] + button["height"] <= PHONE["height"], (
        f"Acknowledge below the fold: {button}"
    )
    mtta = await page.get_by_test_id("mtta").bounding_box()
    assert mtta is not None and button["y"] < mtta["y"], "Acknowledge comes after MTTA / MTTR"
    await shoot(page, screenshot_dir, "phone-incident")
    await acknowledge.click()
    await expect(page.get_by_test_id("status")).to_have_text("acknowledged")
