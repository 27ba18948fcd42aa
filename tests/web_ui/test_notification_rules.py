"""Issue #16 "Personal notification rules" in a real browser against the real stack: an admin
gives a person "email at once, then SMS after 2 minutes" and quiet hours on My on-call, the API
then holds exactly that, and a test notification goes to one contact method."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import shoot
from tests.web_ui.test_my_oncall import _rotation


async def test_an_admin_edits_a_persons_rules_and_tests_a_contact_method(
    admin_page: Page, api: GatewayApi, screenshot_dir: Path
) -> None:
    me, _colleague, _schedule = _rotation(api)
    email, sms = me["contact_methods"]
    page = admin_page
    await page.goto("/my-oncall")
    await page.get_by_label("Which on-call person are you?").select_option(
        label=f"{me['name']} ({me['email']})"
    )
    rules = page.get_by_role("region", name="Notification rules")
    high = rules.get_by_test_id("rules-high")
    await expect(high.get_by_test_id("summary-high")).to_have_text(
        "No rules: every contact method at once."
    )
    await high.get_by_role("button", name="Add a high-urgency step").click()
    await high.get_by_role("button", name="Add a high-urgency step").click()
    second = high.get_by_test_id("rule-step").nth(1)
    await second.get_by_label("Delay in minutes").fill("2")
    await second.get_by_label("Contact method").select_option(label=f"sms · {sms['address']}")
    await rules.get_by_label("Quiet hours for low urgency (UTC)").check()
    await rules.get_by_role("button", name="Save notification rules").click()
    await expect(rules.get_by_text("Saved")).to_be_visible()
    await expect(high.get_by_test_id("summary-high")).to_have_text(
        f"immediately via email · {email['address']}, then after 2 min via sms · "
        f"{sms['address']}, until someone acknowledges."
    )

    stored = api.client.get(f"/api/v1/users/{me['id']}/notification-rules", headers=api.admin)
    assert stored.status_code == 200, stored.text
    assert [(r["delay_minutes"], r["contact_method_id"]) for r in stored.json()["rules"]] == [
        (0, email["id"]),
        (2, sms["id"]),
    ]
    assert stored.json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}

    method = rules.get_by_test_id("contact-method").filter(has_text=sms["address"])
    await method.get_by_role("button", name="Send a test notification").click()
    await expect(method.get_by_test_id("test-outcome")).to_have_text(
        f"queued on mock: see Notifications for {sms['address']}"
    )
    await shoot(page, screenshot_dir, "notification-rules")
