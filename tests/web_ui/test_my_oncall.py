"""Issue #15 "My on-call" and "Send me a test page" in a real browser against the real stack: an
account that matches no on-call person picks itself once (remembered across reloads), sees its
shifts beyond 7 days on a timeline with a "now" marker and names in the bars, subscribes to its
calendar feed (the URL serves iCalendar without a login), and sends itself a test page whose
per-channel outcome is shown (email not configured on the test stack: refused; sms: delivered)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import shoot

# The notification worker polls its outbox: a delivery reaches the page within a few polls.
ARRIVES = 30_000


def _rotation(api: GatewayApi) -> tuple[dict, dict, dict]:
    """Me (sms and email contact methods) and a colleague on a daily rotation in UTC."""
    suffix = uuid.uuid4().hex[:6]
    people = []
    for name, methods in (
        (
            f"Mia {suffix}",
            [
                {"type": "email", "address": f"mia-{suffix}@example.com"},
                {"type": "sms", "address": "+15550100"},
            ],
        ),
        (f"Colleague {suffix}", []),
    ):
        made = api.client.post(
            "/api/v1/users",
            json={
                "name": name,
                "email": f"{name.split()[0].lower()}-{suffix}@example.com",
                "timezone": "UTC",
                "contact_methods": methods,
            },
            headers=api.admin,
        )
        assert made.status_code == 201, made.text
        people.append(made.json())
    team = f"mine-{suffix}"
    made = api.client.post(
        "/api/v1/teams",
        json={"name": team, "members": [{"user_id": p["id"], "role": "member"} for p in people]},
        headers=api.admin,
    )
    assert made.status_code == 201, made.text
    schedule = api.client.post(
        "/api/v1/schedules",
        json={
            "name": f"Mine primary {suffix}",
            "team": team,
            "timezone": "UTC",
            "layers": [
                {
                    "name": "Daily",
                    "participants": [p["id"] for p in people],
                    "rotation_type": "daily",
                    "shift_length": 1,
                    "start_date": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
                    "handoff_time": "00:00",
                }
            ],
        },
        headers=api.admin,
    )
    assert schedule.status_code == 201, schedule.text
    return people[0], people[1], schedule.json()


async def test_my_oncall_shifts_timeline_and_calendar(
    admin_page: Page, api: GatewayApi, ui_url: str, screenshot_dir: Path
) -> None:
    me, colleague, schedule = _rotation(api)
    page = admin_page
    await page.goto("/my-oncall")
    # The admin account matches no on-call person: it is asked once.
    picker = page.get_by_label("Which on-call person are you?")
    await picker.select_option(label=f"{me['name']} ({me['email']})")
    await expect(page.get_by_test_id("me")).to_contain_text(f"You are {me['name']}")

    # Four weeks: every other day is mine, so about 14 shifts, most of them beyond 7 days.
    await page.get_by_label("Days shown").select_option("28")
    shifts = page.get_by_test_id("my-shift")
    await expect(shifts.nth(12)).to_be_visible()
    assert await shifts.count() <= 15
    await expect(shifts.first).to_contain_text(schedule["name"])
    await expect(page.get_by_test_id("now-marker")).to_be_visible()

    # A week: a day's bar is wide enough for the schedule's name (every bar here is mine).
    await page.get_by_label("Days shown").select_option("7")
    await expect(page.get_by_role("heading", name="My shifts (next 7 days)")).to_be_visible()
    assert await shifts.count() <= 4
    bars = page.get_by_role(
        "img", name=f"Shifts of {me['name']} for the next 7 days"
    ).get_by_test_id("shift-bar")
    await expect(bars.filter(has_text=schedule["name"]).first).to_be_visible()
    await shoot(page, screenshot_dir, "my-oncall")

    # The choice is remembered in this browser.
    await page.reload()
    await expect(page.get_by_test_id("me")).to_contain_text("as you chose in this browser")

    # The calendar link serves my shifts, without a login, through the console's own origin.
    url = await page.get_by_label(f"Calendar URL of {schedule['name']}").input_value()
    assert url.startswith(ui_url) and f"user_id={me['id']}" in url
    async with httpx.AsyncClient(timeout=10) as anonymous:
        feed = await anonymous.get(url)
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in feed.text and me["name"] in feed.text
    assert colleague["name"] not in feed.text


async def test_oncall_page_timeline_beyond_a_week_with_now_marker(
    admin_page: Page, api: GatewayApi
) -> None:
    me, colleague, schedule = _rotation(api)
    page = admin_page
    await page.goto("/oncall")
    await page.get_by_label("Days shown").select_option("28")
    timeline = page.get_by_role("img", name=f"Shifts of {schedule['name']} for the next 28 days")
    await expect(timeline.get_by_test_id("now-marker")).to_be_visible()
    # A shift a day, midnight to midnight: 29 bars from this hour on (28 when it is midnight).
    await expect(timeline.get_by_test_id("shift-bar").nth(27)).to_be_visible()
    assert await timeline.get_by_test_id("shift-bar").count() in (28, 29)
    await page.get_by_label("Days shown").select_option("7")
    timeline = page.get_by_role("img", name=f"Shifts of {schedule['name']} for the next 7 days")
    await expect(
        timeline.get_by_test_id("shift-bar").filter(has_text=colleague["name"]).first
    ).to_be_visible()
    await expect(
        timeline.get_by_test_id("shift-bar").filter(has_text=me["name"]).first
    ).to_be_visible()


async def test_send_me_a_test_page_shows_each_channel(
    admin_page: Page, api: GatewayApi, screenshot_dir: Path
) -> None:
    me, _colleague, _schedule = _rotation(api)
    page = admin_page
    await page.goto("/my-oncall")
    await page.get_by_label("Which on-call person are you?").select_option(
        label=f"{me['name']} ({me['email']})"
    )
    await page.get_by_role("button", name="Send me a test page").click()
    rows = page.get_by_test_id("test-page-row")
    await expect(rows).to_have_count(2)
    email = rows.filter(has_text="email")
    sms = rows.filter(has_text="sms")
    # The test stack configures no SMTP: the email page is refused with the server's reason.
    await expect(email.get_by_test_id("test-page-outcome")).to_contain_text(
        "refused: Channel 'email' is not configured"
    )
    await expect(sms.get_by_test_id("test-page-outcome")).to_have_text("delivered", timeout=ARRIVES)
    await shoot(page, screenshot_dir, "my-oncall-test-page")

    sent = api.client.get(
        "/api/v1/notifications", params={"recipient": "+15550100", "limit": 200}, headers=api.admin
    )
    assert sent.status_code == 200, sent.text
    mine = [
        n
        for n in sent.json()["items"]
        if n["subject"] == f"[Nightwatch] Test page for {me['name']}"
    ]
    assert [(n["channel"], n["status"]) for n in mine] == [("mock", "delivered")]


async def test_a_persons_page_from_the_oncall_page_sends_them_a_test_page(
    admin_page: Page, api: GatewayApi
) -> None:
    _me, colleague, schedule = _rotation(api)
    page = admin_page
    await page.goto("/oncall")
    timeline = page.get_by_role("img", name=f"Shifts of {schedule['name']} for the next 7 days")
    await expect(timeline).to_be_visible()
    await page.get_by_role("link", name=colleague["name"], exact=True).first.click()
    await expect(page.get_by_role("heading", name=colleague["name"])).to_be_visible()
    await expect(page.get_by_test_id("my-shift").first).to_contain_text(schedule["name"])
    await page.get_by_role("button", name=f"Send {colleague['name']} a test page").click()
    # No contact methods: the person's email on the mock channel, as escalation would page them.
    row = page.get_by_test_id("test-page-row")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(colleague["email"])
    await expect(row.get_by_test_id("test-page-outcome")).to_have_text("delivered", timeout=ARRIVES)
