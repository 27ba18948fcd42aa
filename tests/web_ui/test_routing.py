"""Routing rules in a real browser against the real stack (issue #16): the admin sees that alerts
route nowhere, adds a rule to a team that does not exist (refused, naming it), then to one that
does, tries a sample alert in the "try it" box, and the next alert through the gateway lands on
that team; the catch-all is set and cleared again (the stack is shared with other modules)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import shoot


@pytest.fixture
def no_catch_all(api: GatewayApi) -> Iterator[None]:
    """Other modules expect alerts without a team to be unrouted: leave no catch-all behind."""
    yield
    cleared = api.client.put(
        "/api/v1/routing-rules/catch-all", json={"team": None}, headers=api.admin
    )
    assert cleared.status_code == 200, cleared.text


async def test_an_admin_routes_a_service_to_a_team_from_the_console(
    admin_page: Page, api: GatewayApi, screenshot_dir: Path, no_catch_all: None
) -> None:
    page = admin_page
    suffix = uuid.uuid4().hex[:6]
    service, team = f"payments-{suffix}", f"payments-team-{suffix}"
    made = api.client.post("/api/v1/teams", json={"name": team}, headers=api.admin)
    assert made.status_code == 201, made.text
    nowhere = api.post_alert(service=f"stray-{suffix}", severity="low", message="routes nowhere")

    await page.goto("/routing")
    await expect(page.get_by_role("heading", name="Routing")).to_be_visible()
    banner = page.get_by_test_id("unrouted-banner")
    await expect(banner).to_contain_text("No catch-all team")
    await expect(banner).to_contain_text("routed nowhere in the last 24 hours")

    form = page.get_by_role("form", name="New routing rule")
    await form.get_by_label("Name", exact=True).fill(f"payments {suffix}")
    await form.get_by_label("Matchers (one a line)").fill(f'service="{service}"')
    await form.get_by_label("Set team").fill(f"no-such-team-{suffix}")
    await form.get_by_role("button", name="Add rule").click()
    await expect(page.get_by_role("alert").filter(has_text="does not exist")).to_contain_text(
        f"no-such-team-{suffix}"
    )

    await form.get_by_label("Set team").fill(team)
    await form.get_by_label("Add labels (name=value)").fill("routed=console")
    await form.get_by_role("button", name="Add rule").click()
    row = page.get_by_test_id("routing-rule-row").filter(has_text=f"payments {suffix}")
    await expect(row).to_contain_text(f"team → {team}")

    box = page.get_by_role("form", name="Sample alert")
    await box.get_by_label("Service").fill(service)
    await box.get_by_role("button", name="Route it").click()
    outcome = page.get_by_test_id("routing-outcome")
    await expect(outcome).to_contain_text(f"payments {suffix}")
    await expect(outcome).to_contain_text(team)
    await expect(outcome).to_contain_text("routed=console")

    routed = api.post_alert(service=service, severity="high", message="5xx above 10%")
    stored = api.client.get(f"/api/v1/alerts/{routed['alert_id']}", headers=api.admin).json()
    assert stored["team"] == team and stored["labels"] == {"routed": "console"}, stored
    unrouted = api.client.get(
        "/api/v1/alerts", params={"unrouted": "true"}, headers=api.admin
    ).json()
    assert nowhere["alert_id"] in [a["id"] for a in unrouted["items"]]

    await page.get_by_role("form", name="Catch-all team").get_by_label("Catch-all team").fill(team)
    await page.get_by_role("form", name="Catch-all team").get_by_role("button", name="Set").click()
    await expect(banner).not_to_contain_text("No catch-all team")
    await shoot(page, screenshot_dir, "routing")

    await row.get_by_role("button", name="Delete").click()
    await expect(row).to_have_count(0)
