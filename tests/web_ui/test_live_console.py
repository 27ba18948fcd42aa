"""Issue #15 in the real stack: push updates through nginx and the gateway, search, bulk
actions and the keyboard, in Debian's Chromium; the stream and bulk route over real HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.stack_runner import Stack
from tests.web_ui.api_client import GatewayApi
from tests.web_ui.conftest import shoot

EVENTS = "/api/v1/incidents/events"


async def _events(response: httpx.Response) -> AsyncIterator[str]:
    """The event names of a server-sent event stream, as they arrive."""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            yield line.removeprefix("event: ")


async def test_a_change_is_pushed_through_nginx_and_the_gateway(
    running_stack: Stack, api: GatewayApi
) -> None:
    async with httpx.AsyncClient(base_url=running_stack.ui_url, timeout=15) as client:
        refused = await client.get(EVENTS)
        assert refused.status_code == 401
        async with client.stream("GET", EVENTS, headers=api.admin) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = _events(stream)
            async with asyncio.timeout(10):
                assert await anext(events) == "ready"
                await asyncio.to_thread(
                    api.post_alert,
                    service=f"push-{uuid.uuid4().hex[:6]}",
                    severity="low",
                    message="pushed",
                )
                seen = {await anext(events)}
                while "alerts" not in seen or "incidents" not in seen:
                    seen.add(await anext(events))


async def test_bulk_through_the_gateway_needs_a_responder(api: GatewayApi) -> None:
    service = f"bulk-{uuid.uuid4().hex[:6]}"
    first = api.post_alert(service=service, severity="high", message="one")["incident_id"]
    second = api.post_alert(service=service, severity="low", message="two")["incident_id"]
    body = {"action": "acknowledge", "incident_ids": [first, second]}
    viewer = api.create_account("viewer")
    viewer_login = api.client.post(
        "/api/v1/auth/login", json={"username": viewer[0], "password": viewer[1]}
    )
    viewer_headers = {"Authorization": f"Bearer {viewer_login.json()['access_token']}"}
    assert (
        api.client.post("/api/v1/incidents/bulk", json=body, headers=viewer_headers).status_code
        == 403
    )
    answer = api.client.post("/api/v1/incidents/bulk", json=body, headers=api.admin)
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == [200, 200]
    again = api.client.post("/api/v1/incidents/bulk", json=body, headers=api.admin).json()
    assert [r["result"] for r in again["results"]] == ["invalid_transition"] * 2
    found = api.client.get(
        "/api/v1/incidents", params={"service_contains": service[2:].upper()}, headers=api.admin
    )
    assert {i["id"] for i in found.json()["items"]} == {first, second}


@pytest.fixture(scope="module")
def console(admin_context: BrowserContext) -> BrowserContext:
    return admin_context


async def _incidents_page(console: BrowserContext, query: str = "") -> Page:
    page = await console.new_page()
    await page.goto(f"/incidents{query}")
    await expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
    # Live: the stream is open (not the polling fallback), so what follows arrives by push.
    await expect(page.get_by_test_id("live-mode")).to_have_attribute("data-mode", "live")
    return page


async def test_pushed_rows_title_count_and_pause(console: BrowserContext, api: GatewayApi) -> None:
    tag = uuid.uuid4().hex[:6]
    page = await _incidents_page(console, f"?q={tag}")
    open_total = api.client.get(
        "/api/v1/incidents", params={"status": "open", "limit": 1}, headers=api.admin
    ).json()["total"]
    await expect(page).to_have_title(f"({open_total}) Nightwatch" if open_total else "Nightwatch")
    api.post_alert(service=f"push-{tag}", severity="critical", message="pushed row")
    row = page.get_by_test_id("incident-row").filter(has_text=f"push-{tag}")
    # While live the console does not poll at all: only the push can bring the row.
    await expect(row).to_be_visible()
    await expect(page).to_have_title(f"({open_total + 1}) Nightwatch")

    await page.get_by_role("button", name="Pause").click()
    await expect(page.get_by_test_id("live-mode")).to_have_attribute("data-mode", "paused")
    version = await page.get_by_test_id("live-mode").get_attribute("data-version")
    api.post_alert(service=f"held-{tag}", severity="high", message="held back")
    await expect(page.get_by_test_id("live-mode")).not_to_have_attribute(
        "data-version", version or ""
    )
    await expect(page.get_by_test_id("incident-row").filter(has_text=f"held-{tag}")).to_have_count(
        0
    )
    await page.get_by_role("button", name="Resume").click()
    await expect(page.get_by_test_id("incident-row").filter(has_text=f"held-{tag}")).to_be_visible()
    await page.close()


async def test_search_bulk_and_keyboard(
    console: BrowserContext, api: GatewayApi, screenshot_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    for severity in ("critical", "high", "medium"):
        api.client.post(
            "/api/v1/alerts",
            json={
                "service": f"kb-{tag}-{severity}",
                "severity": severity,
                "message": "keyboard night",
                "labels": {"cluster": f"eu-{tag}"},
            },
            headers=api.ingest,
        ).raise_for_status()
    page = await _incidents_page(console)
    # "/" jumps to the search; a label's value finds the incidents (any case).
    await page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search")
    await expect(search).to_be_focused()
    await search.fill(f"CLUSTER=EU-{tag}")
    await search.press("Enter")
    rows = page.get_by_test_id("incident-row")
    await expect(rows).to_have_count(3)
    await page.keyboard.press("Escape")

    # "?" lists the shortcuts.
    await page.keyboard.press("?")
    await expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text("j")
    await shoot(page, screenshot_dir, "incidents-shortcuts")
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_have_count(0)

    # j moves to the first row, a acknowledges it.
    await page.keyboard.press("j")
    first = rows.nth(0)
    await expect(first).to_have_attribute("aria-current", "true")
    await page.keyboard.press("a")
    await expect(page.get_by_test_id("bulk-outcome")).to_contain_text("1 acknowledged")
    await expect(first).to_contain_text("acknowledged")

    # Select all three and resolve them together: one request, each incident's outcome.
    await page.get_by_role("checkbox", name="Select all on this page").check()
    await expect(page.get_by_test_id("selected-count")).to_have_text("3 selected")
    await page.get_by_role("button", name="Acknowledge selected").click()
    outcome = page.get_by_test_id("bulk-outcome")
    await expect(outcome).to_contain_text("2 acknowledged, 1 not allowed")
    await expect(outcome).to_contain_text("already acknowledged")
    await shoot(page, screenshot_dir, "incidents-bulk")
    await page.get_by_role("checkbox", name="Select all on this page").check()
    await page.get_by_role("button", name="Resolve selected").click()
    await expect(outcome).to_contain_text("3 resolved")
    # The default filter hides resolved incidents: the list empties by push and reload.
    await expect(rows).to_have_count(0)
    await page.close()
