"""Issue #15 "On-call set up in the console", in Debian's Chromium against the real stack: a
person with contact methods and a console account, a team with members, a schedule built with
the form (layers, people picked by name, rotation, handoff, on-call hours) whose next shifts are
previewed before saving, and an escalation policy built with the form (levels, targets picked by
name, waits, repeats): nothing typed but names and times, no JSON, no ids. What was saved is then
read back from the API; the account signs in and "My on-call" knows who it is."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Browser, Locator, Page, expect

from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import shoot, signed_in_context


def _by_name(api: GatewayApi, path: str, name: str) -> dict:
    listed = api.client.get(path, params={"limit": 100}, headers=api.admin)
    assert listed.status_code == 200, listed.text
    found = [item for item in listed.json()["items"] if item["name"] == name]
    assert len(found) == 1, f"{name} in {path}: {found}"
    return found[0]


async def _add_person(people: Locator, group: str, label: str) -> None:
    picker = people.get_by_role("group", name=group)
    await picker.get_by_label(f"Add to {group}", exact=True).select_option(label=label)
    await picker.get_by_role("button", name="Add", exact=True).click()


async def _new_person(
    page: Page, name: str, email: str, contacts: list[tuple[str, str]]
) -> Locator:
    await page.get_by_role("button", name="New person").click()
    form = page.get_by_role("form", name="New person")
    await form.get_by_label("Name", exact=True).fill(name)
    await form.get_by_label("Email", exact=True).fill(email)
    for index, (kind, address) in enumerate(contacts):
        if index > 0:
            await form.get_by_role("button", name="Add contact method").click()
        row = form.get_by_role("group", name=f"Contact method {index + 1}")
        await row.get_by_label("Type", exact=True).select_option(label=kind)
        await row.get_by_label("Address", exact=True).fill(address)
    return form


async def test_set_up_oncall_by_clicking_names(
    admin_page: Page, api: GatewayApi, browser: Browser, ui_url: str, screenshot_dir: Path
) -> None:
    suffix = uuid.uuid4().hex[:6]
    nora, omar, team = f"Nora {suffix}", f"Omar {suffix}", f"setup-{suffix}"
    account, password = api.create_account("responder")
    page = admin_page
    await page.goto("/oncall")

    # A person with two contact methods, signing in as `account` (picked from the accounts).
    form = await _new_person(
        page,
        nora,
        f"nora-{suffix}@example.com",
        [("Email", "nora@example.com"), ("SMS", "call me")],
    )
    await form.get_by_label("Console account", exact=True).select_option(label=account)
    await form.get_by_role("button", name="Save").click()
    # The form's own check, before any request: the SMS address is not a phone number.
    await expect(form.get_by_role("alert")).to_contain_text(
        'Contact method 2: "call me" is not a phone number'
    )
    await (
        form.get_by_role("group", name="Contact method 2")
        .get_by_label("Address", exact=True)
        .fill("+15550123")
    )
    await shoot(page, screenshot_dir, "oncall-person-form")
    await form.get_by_role("button", name="Save").click()
    await expect(page.get_by_test_id("person-row").filter(has_text=nora)).to_contain_text(
        f"email, sms · signs in as {account}"
    )
    form = await _new_person(page, omar, f"omar-{suffix}@example.com", [("Slack", "@omar")])
    await form.get_by_role("button", name="Save").click()
    await expect(page.get_by_test_id("person-row").filter(has_text=omar)).to_be_visible()

    # A team with both, members picked by name.
    await page.get_by_role("button", name="New team").click()
    form = page.get_by_role("form", name="New team")
    await form.get_by_label("Team name (lowercase, - and _)", exact=True).fill(team)
    for person in (nora, omar):
        await _add_person(
            form, "Members", f"{person} ({person.split()[0].lower()}-{suffix}@example.com)"
        )
    await form.get_by_role("button", name="Save").click()
    await expect(page.get_by_test_id("team-row").filter(has_text=team)).to_contain_text(
        f"{nora}, {omar}"
    )

    # A schedule: daily, Omar first, handoff at 08:00 Berlin time, weekdays 09:00-17:00 only.
    await page.get_by_role("button", name="New schedule").click()
    form = page.get_by_role("form", name="New schedule")
    await form.get_by_label("Schedule name", exact=True).fill(f"Setup primary {suffix}")
    await form.get_by_label("Team", exact=True).select_option(label=team)
    await form.get_by_label("Time zone", exact=True).select_option("Europe/Berlin")
    layer = form.get_by_role("group", name="Layer 1", exact=True)
    await layer.get_by_label("Layer name", exact=True).fill("Weekdays")
    await layer.get_by_label("Rotation", exact=True).select_option("daily")
    await layer.get_by_label("First handoff date", exact=True).fill(
        datetime.now(UTC).date().isoformat()
    )
    await layer.get_by_label("Handoff time", exact=True).fill("08:00")
    for person in (omar, nora):
        await _add_person(
            layer,
            "Layer 1 rotation",
            f"{person} ({person.split()[0].lower()}-{suffix}@example.com)",
        )
    await layer.get_by_role("button", name="Add on-call hours").click()
    await form.get_by_role("button", name="Preview shifts").click()
    preview = form.get_by_test_id("schedule-preview")
    await expect(preview.get_by_test_id("preview-shift").first).to_be_visible()
    names = {
        (await row.inner_text()).split(" · ")[0]
        for row in await preview.get_by_test_id("preview-shift").all()
    }
    assert names == {nora, omar}, names
    await expect(preview.get_by_test_id("preview-shift").first).to_contain_text("Weekdays")
    # Previewed, not saved.
    listed = api.client.get("/api/v1/schedules", params={"team": team}, headers=api.admin)
    assert listed.json()["total"] == 0, listed.text
    await shoot(page, screenshot_dir, "oncall-schedule-form")
    await form.get_by_role("button", name="Save").click()
    await expect(
        page.get_by_role("img", name=f"Shifts of Setup primary {suffix} for the next 7 days")
    ).to_be_visible()

    saved = _by_name(api, "/api/v1/schedules", f"Setup primary {suffix}")
    assert saved["team"]["name"] == team and saved["timezone"] == "Europe/Berlin"
    [weekdays] = saved["layers"]
    assert [p["name"] for p in weekdays["participants"]] == [omar, nora]
    assert (weekdays["name"], weekdays["rotation_type"], weekdays["shift_length"]) == (
        "Weekdays",
        "daily",
        1,
    )
    assert weekdays["handoff_time"] == "08:00"
    assert weekdays["restrictions"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
    ]

    # A policy: the team's on-call, then after 10 minutes the schedule's on-call and Omar; twice.
    await page.get_by_role("button", name="New policy").click()
    form = page.get_by_role("form", name="New escalation policy")
    await form.get_by_label("Team", exact=True).select_option(label=team)
    await form.get_by_label("Policy name", exact=True).fill(f"Setup escalation {suffix}")
    await form.get_by_label("Repeat all levels (times)", exact=True).fill("1")
    first = form.get_by_role("group", name="Level 1", exact=True)
    await first.get_by_label("Who", exact=True).select_option(label=team)
    await form.get_by_role("button", name="Add level").click()
    second = form.get_by_role("group", name="Level 2", exact=True)
    await second.get_by_label("Page", exact=True).select_option(label="On-call of schedule")
    await second.get_by_label("Who", exact=True).select_option(
        label=f"Setup primary {suffix} (team {team})"
    )
    await second.get_by_role("button", name="Add target").click()
    target = second.get_by_role("group", name="Level 2 target 2")
    await target.get_by_label("Page", exact=True).select_option(label="Person")
    await target.get_by_label("Who", exact=True).select_option(
        label=f"{omar} (omar-{suffix}@example.com)"
    )
    await second.get_by_label(
        "Minutes to wait for an acknowledgement before the next level", exact=True
    ).fill("10")
    await shoot(page, screenshot_dir, "oncall-policy-form")
    await form.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("region", name="Escalation policies")).to_contain_text(
        f"Setup escalation {suffix}"
    )

    policy = _by_name(api, "/api/v1/escalation-policies", f"Setup escalation {suffix}")
    person = _by_name(api, "/api/v1/users", omar)
    team_id = api.client.get(f"/api/v1/teams/{team}", headers=api.admin).json()["id"]
    assert (policy["team"], policy["repeat_count"]) == (team, 1)
    # The service stores a team target by the team's id.
    assert policy["levels"] == [
        {"delay_minutes": 5, "targets": [{"type": "team_oncall", "id": team_id}]},
        {
            "delay_minutes": 10,
            "targets": [
                {"type": "schedule", "id": saved["id"]},
                {"type": "user", "id": person["id"]},
            ],
        },
    ]
    stored = _by_name(api, "/api/v1/users", nora)
    assert stored["console_account"] == account
    assert [(m["type"], m["address"]) for m in stored["contact_methods"]] == [
        ("email", "nora@example.com"),
        ("sms", "+15550123"),
    ]

    # The account signs in: My on-call knows it is Nora, without a guess or a pick.
    context = await signed_in_context(browser, ui_url, account, password)
    try:
        mine = await context.new_page()
        await mine.goto("/my-oncall")
        await expect(mine.get_by_test_id("me")).to_contain_text(
            f"You are {nora} (nora-{suffix}@example.com) in on-call: your console account is linked"
        )
        await expect(mine.get_by_role("heading", name="My shifts (next 14 days)")).to_be_visible()
    finally:
        await context.close()
