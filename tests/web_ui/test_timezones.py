"""Issue #15 item 8: every time shown carries its zone, a person picks theirs, and the override
form reads its times on the schedule's clocks, whatever the browser's or the picked zone."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.stack_runner import ADMIN
from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import sign_in


@pytest.fixture
async def new_york_browser(browser: Browser, ui_url: str) -> AsyncIterator[BrowserContext]:
    """A browser whose own clock is New York's: neither UTC nor the schedule's Berlin."""
    context = await browser.new_context(
        base_url=ui_url, viewport={"width": 1280, "height": 900}, timezone_id="America/New_York"
    )
    context.set_default_timeout(15_000)
    yield context
    await context.close()


async def test_an_override_typed_at_0900_lands_at_0900_on_the_schedules_clocks(
    new_york_browser: BrowserContext, api: GatewayApi
) -> None:
    team = api.seed_oncall()  # a Europe/Berlin schedule
    suffix = team.removeprefix("payments-")
    schedule = next(
        s
        for s in api.client.get(
            "/api/v1/schedules", params={"limit": 100}, headers=api.admin
        ).json()["items"]
        if s["name"] == f"Payments primary {suffix}"
    )
    day = f"{datetime.now(UTC).year + 1}-01-15"  # winter: Berlin is UTC+1, Tokyo UTC+9

    page = await new_york_browser.new_page()
    await sign_in(page, *ADMIN)
    await expect(page.get_by_test_id("current-user")).to_contain_text(ADMIN[0])
    zone = page.get_by_label("Time zone")
    await expect(zone).to_have_value("America/New_York")  # the browser's zone until one is picked
    await zone.select_option("Asia/Tokyo")

    await page.goto("/oncall")
    schedules = page.get_by_role("region", name="Schedules")
    await expect(schedules.get_by_test_id("schedule-zone").first).to_be_visible()
    await expect(schedules).to_contain_text("time zone Europe/Berlin")
    override = page.get_by_role("form", name="Add override")
    await override.get_by_label("Schedule").select_option(label=f"Payments primary {suffix}")
    await override.get_by_label("Who covers").select_option(label=f"Bob Oncall {suffix}")
    await override.get_by_label("From").fill(f"{day}T09:00")
    await override.get_by_label("To").fill(f"{day}T11:00")
    hint = override.get_by_test_id("override-zone")
    await expect(hint).to_contain_text("Europe/Berlin")
    await expect(hint).to_contain_text(re.compile(r"(17:00:00|05:00:00 PM) GMT\+9 \(your zone\)"))
    await override.get_by_role("button", name="Add override").click()
    await expect(override.get_by_text("Saved.")).to_be_visible()

    stored = api.client.get(
        f"/api/v1/schedules/{schedule['id']}/overrides", headers=api.admin
    ).json()["items"]
    assert [
        (datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"])) for o in stored
    ] == [
        (
            datetime.fromisoformat(f"{day}T08:00:00+00:00"),
            datetime.fromisoformat(f"{day}T10:00:00+00:00"),
        )
    ]
    # Shown in the picked zone, with the zone: 08:00 UTC is 17:00 in Tokyo.
    listed = page.get_by_role("group", name=f"Overrides of Payments primary {suffix}")
    await expect(listed.get_by_test_id("override")).to_contain_text(
        re.compile(r"(17:00:00|05:00:00 PM) GMT\+9")
    )

    # The choice is kept (localStorage) and applies after a reload.
    await page.reload()
    await expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    await page.close()
