"""A responder's night, in a real browser against the real stack: the alert arrives, the incident
shows up without a reload, is acknowledged and resolved with a note, and MTTA/MTTR, the note and the
timeline are there. A viewer sees no action buttons. Each page is saved as a screenshot."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import shoot, signed_in_context

# The gateway allows 10 logins a minute per address: sign in once per role and reuse the session.


async def test_alert_to_resolved_incident_live_in_the_browser(
    admin_page: Page, api: GatewayApi, screenshot_dir: Path
) -> None:
    page = admin_page
    service = f"checkout-{uuid.uuid4().hex[:6]}"
    await page.goto("/incidents")
    await expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    await expect(page.get_by_text("You are using the default password")).to_have_count(0)

    # The alert comes in through the API while the list is open: it appears without a reload.
    accepted = api.post_alert(service=service, severity="critical", message="Checkout 5xx > 10%")
    row = page.get_by_test_id("incident-row").filter(has_text=service)
    await expect(row).to_be_visible(timeout=20_000)
    await expect(row).to_contain_text("Checkout 5xx > 10%")
    await shoot(page, screenshot_dir, "incidents")

    await row.get_by_role("link").click()
    await expect(page).to_have_url(re.compile(r"/incidents/[0-9a-f-]{36}$"))
    if accepted.get("incident_id"):
        assert page.url.endswith(accepted["incident_id"])
    actions = page.get_by_role("region", name="Actions")
    await expect(page.get_by_test_id("status")).to_have_text("open")
    await expect(page.get_by_test_id("mtta")).to_have_text("—")

    await actions.get_by_role("button", name="Acknowledge").click()
    await expect(page.get_by_test_id("status")).to_have_text("acknowledged")
    await expect(page.get_by_test_id("mtta")).not_to_have_text("—")
    await expect(actions.get_by_role("button", name="Acknowledge")).to_have_count(0)
    await expect(actions.get_by_role("button", name="Start work")).to_be_visible()

    await actions.get_by_label("Resolution note").fill("Rolled back deploy 4711")
    await actions.get_by_role("button", name="Resolve").click()
    await expect(page.get_by_test_id("status")).to_have_text("resolved")
    await expect(page.get_by_test_id("mttr")).not_to_have_text("—")
    await expect(page.get_by_test_id("notes")).to_contain_text("Rolled back deploy 4711")
    await expect(page.get_by_test_id("notes")).to_contain_text("admin")
    timeline = page.get_by_test_id("timeline")
    await expect(timeline).to_contain_text("acknowledged")
    await expect(timeline).to_contain_text("resolved")
    await expect(actions.get_by_role("button")).to_have_count(3)  # only assign / note remain
    await shoot(page, screenshot_dir, "incident-detail")

    await page.goto(f"/alerts?service={service}")
    alert_row = page.get_by_test_id("alert-row").first
    await expect(alert_row).to_contain_text("Checkout 5xx > 10%")
    await expect(alert_row.get_by_role("link", name="view incident")).to_be_visible()
    await shoot(page, screenshot_dir, "alerts")


async def test_a_viewer_sees_no_action_buttons(
    browser: Browser, ui_url: str, api: GatewayApi
) -> None:
    service = f"search-{uuid.uuid4().hex[:6]}"
    accepted = api.post_alert(service=service, severity="high", message="Search latency p99 > 2s")
    username, password = api.create_account("viewer")
    context = await signed_in_context(browser, ui_url, username, password)
    try:
        page = await context.new_page()
        await page.goto("/incidents")
        row = page.get_by_test_id("incident-row").filter(has_text=service)
        await expect(row).to_be_visible(timeout=20_000)
        await row.get_by_role("link").click()
        await expect(page.get_by_test_id("status")).to_have_text("open")
        await expect(page.get_by_text("Search latency p99 > 2s").first).to_be_visible()
        await expect(page.get_by_role("region", name="Actions")).to_have_count(0)
        for name in ("Acknowledge", "Resolve", "Start work", "Assign", "Add note"):
            await expect(page.get_by_role("button", name=name)).to_have_count(0)
        assert accepted["alert_id"]
    finally:
        await context.close()


async def test_every_page_renders_for_an_admin(
    admin_page: Page, api: GatewayApi, screenshot_dir: Path
) -> None:
    page = admin_page
    team = api.seed_oncall()

    await page.goto("/")
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await expect(page.get_by_test_id("open-count")).not_to_have_text("—")
    await expect(page.get_by_test_id("dashboard-mttr")).not_to_have_text("—")
    await shoot(page, screenshot_dir, "dashboard")
    await page.emulate_media(color_scheme="dark")  # the colours follow the system setting
    await expect(page.locator("body")).to_have_css("background-color", "rgb(2, 6, 23)")
    await shoot(page, screenshot_dir, "dashboard-dark")
    await page.emulate_media(color_scheme="light")

    await page.goto("/oncall")
    on_call_now = page.get_by_role("region", name="On call now")
    team_row = on_call_now.get_by_role("listitem").filter(has_text=team)
    # Polled every 15 s: a transient error (a busy shared database) heals by itself.
    await expect(team_row.get_by_test_id("oncall-now")).to_contain_text(
        re.compile("Alice|Bob"), timeout=35_000
    )
    suffix = team.removeprefix("payments-")
    await expect(
        page.get_by_role("img", name=re.compile(f"Shifts of Payments primary {suffix}"))
    ).to_be_visible(timeout=35_000)

    # An admin writes an escalation policy as JSON (the policy form's advanced view; the form
    # itself: test_oncall_setup.py); the service validates and stores it.
    await page.get_by_role("button", name="New policy").click()
    form = page.get_by_role("form", name="New escalation policy")
    await form.get_by_role("button", name="Edit as JSON (advanced)").click()
    editor = page.get_by_role("form", name="New escalation policy (JSON)")
    await editor.get_by_label("JSON").fill(
        json.dumps(
            {
                "team": team,
                "name": f"Payments escalation {suffix}",
                "repeat_count": 1,
                "levels": [
                    {"delay_minutes": 5, "targets": [{"type": "team_oncall", "id": team}]},
                    {"delay_minutes": 10, "targets": [{"type": "team", "id": team}]},
                ],
            }
        )
    )
    await editor.get_by_role("button", name="Save").click()
    await expect(editor).to_have_count(0)
    policies = page.get_by_role("region", name="Escalation policies")
    await expect(policies).to_contain_text(f"Payments escalation {suffix}")
    await expect(policies).to_contain_text(f"on-call of team {team}")

    # And an override: Bob covers tomorrow 10:00-12:00 (on the schedule's clocks, Europe/Berlin).
    override = page.get_by_role("form", name="Add override")
    await override.get_by_label("Schedule").select_option(label=f"Payments primary {suffix}")
    await override.get_by_label("Who covers").select_option(label=f"Bob Oncall {suffix}")
    tomorrow = (datetime.now() + timedelta(days=1)).date().isoformat()
    await override.get_by_label("From").fill(f"{tomorrow}T10:00")
    await override.get_by_label("To").fill(f"{tomorrow}T12:00")
    await override.get_by_role("button", name="Add override").click()
    await expect(override.get_by_text("Saved.")).to_be_visible()
    await expect(page.locator('[title*="(override)"]').first).to_be_visible()
    await shoot(page, screenshot_dir, "oncall")

    await page.goto("/notifications")
    await expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    await expect(page.get_by_role("status")).to_have_count(0)  # loaded
    await shoot(page, screenshot_dir, "notifications")

    await page.goto("/settings")
    await expect(page.get_by_role("region", name="Users and roles")).to_contain_text("admin")
    keys = page.get_by_role("region", name="API keys")
    await keys.get_by_label("Name").fill("grafana-webhook")
    await keys.get_by_role("button", name="Create key").click()
    await expect(page.get_by_test_id("new-api-key")).to_have_text(re.compile(r"\S{20,}"))
    await shoot(page, screenshot_dir, "settings")


async def test_phone_width_and_keyboard(admin_page: Page, screenshot_dir: Path) -> None:
    page = admin_page
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav).to_be_hidden()
    # Keyboard only: the first Tab lands on "Skip to content", the next ones reach the menu.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Menu")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(nav).to_be_visible()
    await shoot(page, screenshot_dir, "phone-menu")
    await nav.get_by_role("link", name="Incidents").click()
    # exact: until the route changes, the dashboard's chart headings also contain "Incidents"
    await expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
    await expect(nav).to_be_hidden()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width}px)"


async def test_an_account_that_must_change_its_password_is_walked_through_it(
    page: Page, api: GatewayApi
) -> None:
    """Issue #12: the gateway answers such an account only `me` and change-password; the console
    takes it to the change form first, then to the page it asked for."""
    username, password = api.create_account("admin", must_change_password=True)
    await page.goto("/incidents")  # signed out: the login page, which returns here afterwards
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    form = page.get_by_role("form", name="Change password")
    await expect(form).to_be_visible()
    await expect(page).to_have_url(re.compile(r"/settings$"))
    await expect(page.get_by_text("Change your password to continue")).to_be_visible()
    await form.get_by_label("Current password").fill(password)
    await form.get_by_label("New password", exact=True).fill(f"new-{password}")
    await form.get_by_label("Repeat new password").fill(f"new-{password}")
    await form.get_by_role("button", name="Change password").click()
    await expect(page).to_have_url(re.compile(r"/incidents$"))
    await expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
    await expect(page.get_by_text("You are using the default password")).to_have_count(0)
