"""Personal notification rules with a fast-forwarded clock (issue #16): the steps of a person's
rules are durable pages due at their own time, an acknowledge cancels the rest, quiet hours hold
low-urgency pages, two replicas send each step once, and bad rules are a clear 422."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from nightwatch_core.clock import ManualClock
from nightwatch_oncall.notification_rules.planning import _PREFERENCES_SQL, quiet_hours_end
from sqlalchemy import text

from .conftest import Recorder, World, drain, user_level


def _method(user: dict[str, Any], kind: str) -> str:
    return next(m["id"] for m in user["contact_methods"] if m["type"] == kind)


async def _set_rules(
    client: httpx.AsyncClient, user: dict[str, Any], rules: list[dict[str, Any]], **extra: Any
) -> httpx.Response:
    return await client.put(
        f"/api/v1/users/{user['id']}/notification-rules", json={"rules": rules, **extra}
    )


async def _email_then_sms(world: World, client: httpx.AsyncClient) -> dict[str, Any]:
    alice = await world.user("Alice", ("email", "alice@example.com"), ("sms", "+15550100"))
    response = await _set_rules(
        client,
        alice,
        [
            {"urgency": "high", "delay_minutes": 0, "contact_method_id": _method(alice, "email")},
            {"urgency": "high", "delay_minutes": 2, "contact_method_id": _method(alice, "sms")},
        ],
    )
    assert response.status_code == 200, response.text
    return alice


async def _paged_by_policy(world: World, person: dict[str, Any], name: str) -> uuid.UUID:
    """A team of one whose policy pages ``person`` (level 2 never comes), and a critical incident."""
    team = await world.team(name, person)
    await world.policy(team, [user_level(person, delay=30)])
    return await world.start(team)


async def test_immediate_email_then_sms_after_2_minutes(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder, clock: ManualClock
) -> None:
    alice = await _email_then_sms(world, client)
    incident = await _paged_by_policy(world, alice, "payments")
    await drain(app)
    [email] = recorder.pages(incident)
    assert (email["channel"], email["recipient"]) == ("email", "alice@example.com")
    assert email["notification_rule"] == "high urgency: immediately via email alice@example.com"
    [planned] = recorder.entries(incident, "notification_planned")
    assert planned["message"].startswith("Will page Alice via mock at 2026-01-05 12:02 UTC")

    clock.advance(timedelta(minutes=2) - timedelta(seconds=1))
    await drain(app)
    assert len(recorder.pages(incident)) == 1  # not one second early

    clock.advance(timedelta(seconds=1))
    await drain(app)
    sms = recorder.pages(incident)[1]
    assert (sms["channel"], sms["recipient"]) == ("mock", "+15550100")
    assert sms["notification_rule"] == "high urgency: after 2 min via sms +15550100"
    rules = (await client.get(f"/api/v1/users/{alice['id']}/notification-rules")).json()
    assert sms["notification_rule_id"] == rules["rules"][1]["id"]
    sent = [e["message"] for e in recorder.entries(incident, "notification_sent")]
    assert sent[1] == "Paged Alice via mock (rule: high urgency: after 2 min via sms +15550100)"

    state = (await client.get(f"/api/v1/escalations/{incident}")).json()
    assert [(p["status"], p["notification_rule_id"]) for p in state["pages"]] == [
        ("sent", rules["rules"][0]["id"]),
        ("sent", rules["rules"][1]["id"]),
    ]
    assert state["pages"][1]["due_at"].startswith("2026-01-05T12:02:00")


async def test_ack_at_1_minute_sends_no_sms(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder, clock: ManualClock
) -> None:
    alice = await _email_then_sms(world, client)
    incident = await _paged_by_policy(world, alice, "checkout")
    await drain(app)
    assert recorder.paged(incident) == ["alice@example.com"]

    clock.advance(timedelta(minutes=1))
    stop = {"reason": "acknowledged", "actor": "alice"}
    response = await client.post(f"/internal/v1/escalations/{incident}/stop", json=stop)
    assert response.status_code == 200, response.text
    clock.advance(timedelta(minutes=10))
    await drain(app)
    assert recorder.paged(incident) == ["alice@example.com"]
    state = (await client.get(f"/api/v1/escalations/{incident}")).json()
    assert [p["status"] for p in state["pages"]] == ["sent", "cancelled"]
    [stopped] = recorder.entries(incident, "escalation_stopped")
    assert "1 page(s) not yet sent were cancelled" in stopped["message"]


async def test_two_replicas_send_each_rule_step_once(
    make_app: Any,
    app_client: Any,
    client: httpx.AsyncClient,
    world: World,
    recorder: Recorder,
    clock: ManualClock,
) -> None:
    alice = await _email_then_sms(world, client)
    team = await world.team("replicas", alice)
    await world.policy(team, [user_level(alice, delay=30)])
    first, second = make_app(), make_app()
    async with app_client(first), app_client(second):
        incident = await world.start(team)
        await drain(first, second)
        clock.advance(timedelta(minutes=2))
        await drain(first, second)
        clock.advance(timedelta(minutes=2))
        await drain(first, second)
    assert sorted(recorder.paged(incident)) == ["+15550100", "alice@example.com"]


async def test_low_urgency_waits_for_the_end_of_quiet_hours(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder, clock: ManualClock
) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"))
    await client.patch(f"/api/v1/users/{alice['id']}", json={"timezone": "Europe/Berlin"})
    response = await _set_rules(
        client,
        alice,
        [{"urgency": "low", "delay_minutes": 0, "contact_method_id": _method(alice, "email")}],
        quiet_hours={"start": "22:00", "end": "07:00"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    team = await world.team("quiet", alice)
    await world.policy(team, [user_level(alice, delay=1440)])
    # 21:30 UTC is 22:30 in Berlin (winter): inside the quiet hours.
    clock.advance(timedelta(hours=9, minutes=30))
    low = await world.start(team, severity="low")
    high = await world.start(team, severity="critical")
    await drain(app)
    assert recorder.paged(low) == []
    assert recorder.paged(high) == ["alice@example.com"]  # high urgency ignores quiet hours
    [planned] = recorder.entries(low, "notification_planned")
    assert "at 2026-01-06 06:00 UTC" in planned["message"]
    assert "held for quiet hours" in planned["message"]

    clock.advance(timedelta(hours=8, minutes=29))  # 06:59 in Berlin
    await drain(app)
    assert recorder.paged(low) == []
    clock.advance(timedelta(minutes=1))  # 07:00 in Berlin: the quiet hours end
    await drain(app)
    assert recorder.paged(low) == ["alice@example.com"]


async def test_a_person_without_rules_is_paged_on_every_method_at_once(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    bob = await world.user("Bob", ("email", "bob@example.com"), ("slack", "@bob"))
    read = (await client.get(f"/api/v1/users/{bob['id']}/notification-rules")).json()
    assert read["rules"] == [] and read["quiet_hours"] is None
    team = await world.team("defaults", bob)
    await world.policy(team, [user_level(bob)])
    incident = await world.start(team)
    await drain(app)
    pages = recorder.pages(incident)
    assert sorted(p["recipient"] for p in pages) == ["@bob", "bob@example.com"]
    assert all("notification_rule_id" not in p for p in pages)


async def test_bad_rules_are_a_clear_422(client: httpx.AsyncClient, world: World) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"))
    bob = await world.user("Bob", ("email", "bob@example.com"))
    email = _method(alice, "email")

    def rule(**change: Any) -> dict[str, Any]:
        return {"urgency": "high", "delay_minutes": 0, "contact_method_id": email} | change

    unknown = await _set_rules(client, alice, [rule(contact_method_id=str(uuid.uuid4()))])
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_contact_method"
    assert "is not one of Alice's contact methods" in unknown.json()["error"]["message"]
    others = await _set_rules(client, alice, [rule(contact_method_id=_method(bob, "email"))])
    assert others.status_code == 422
    assert others.json()["error"]["code"] == "unknown_contact_method"
    negative = await _set_rules(client, alice, [rule(delay_minutes=-1)])
    assert negative.status_code == 422 and "delay_minutes" in negative.text
    assert (await _set_rules(client, alice, [rule(urgency="medium")])).status_code == 422
    assert (await _set_rules(client, alice, [rule(), rule()])).status_code == 422
    same = await _set_rules(client, alice, [], quiet_hours={"start": "22:00", "end": "22:00"})
    assert same.status_code == 422
    bad_time = await _set_rules(client, alice, [], quiet_hours={"start": "24:00", "end": "07:00"})
    assert bad_time.status_code == 422
    missing = await client.get(f"/api/v1/users/{uuid.uuid4()}/notification-rules")
    assert missing.status_code == 404
    added = await client.post(f"/api/v1/users/{alice['id']}/notification-rules", json=rule())
    assert added.status_code == 201, added.text
    again = await client.post(f"/api/v1/users/{alice['id']}/notification-rules", json=rule())
    assert again.status_code == 409
    rules = (await client.get(f"/api/v1/users/{alice['id']}/notification-rules")).json()["rules"]
    assert [r["id"] for r in rules] == [added.json()["id"]]


async def test_rules_survive_an_edit_of_the_contact_methods(
    client: httpx.AsyncClient, world: World
) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"), ("sms", "+15550100"))
    sms = _method(alice, "sms")
    await _set_rules(
        client, alice, [{"urgency": "high", "delay_minutes": 5, "contact_method_id": sms}]
    )
    methods = [
        {"type": "slack", "address": "@alice"},
        {"type": "sms", "address": "+15550100"},
    ]
    edited = await client.patch(f"/api/v1/users/{alice['id']}", json={"contact_methods": methods})
    assert edited.status_code == 200, edited.text
    assert [m["type"] for m in edited.json()["contact_methods"]] == ["slack", "sms"]
    assert _method(edited.json(), "sms") == sms
    rules = (await client.get(f"/api/v1/users/{alice['id']}/notification-rules")).json()["rules"]
    assert [r["contact_method_id"] for r in rules] == [sms]

    only_slack = [{"type": "slack", "address": "@alice"}]
    await client.patch(f"/api/v1/users/{alice['id']}", json={"contact_methods": only_slack})
    rules = (await client.get(f"/api/v1/users/{alice['id']}/notification-rules")).json()["rules"]
    assert rules == []  # the method is gone, and the rule that used it


async def test_a_test_notification_per_contact_method(
    app: FastAPI, client: httpx.AsyncClient, world: World, recorder: Recorder
) -> None:
    alice = await world.user("Alice", ("email", "alice@example.com"), ("sms", "+15550100"))
    bob = await world.user("Bob", ("email", "bob@example.com"))
    url = f"/api/v1/users/{alice['id']}/contact-methods/{_method(alice, 'sms')}/test"
    response = await client.post(url, headers={"X-Actor": "carol"})
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["channel"], queued["recipient"], queued["status"]) == (
        "mock",
        "+15550100",
        "queued",
    )
    await drain(app)
    [sent] = [n for n in recorder.notify if n["idempotency_key"] == queued["idempotency_key"]]
    assert sent["recipient"] == "+15550100" and sent["channel"] == "mock"
    assert "sent by carol" in sent["message"] and "Alice's sms" in sent["message"]

    foreign = f"/api/v1/users/{alice['id']}/contact-methods/{_method(bob, 'email')}/test"
    assert (await client.post(foreign)).status_code == 404


def test_quiet_hours_end_in_the_persons_time_zone() -> None:
    window = (time(22, 0), time(7, 0))
    berlin_evening = datetime(2026, 3, 28, 21, 30, tzinfo=UTC)  # 22:30 CET, before the DST change
    # The night of the change to summer time: 07:00 CEST is 05:00 UTC.
    assert quiet_hours_end(berlin_evening, "Europe/Berlin", window) == datetime(
        2026, 3, 29, 5, 0, tzinfo=UTC
    )
    assert (
        quiet_hours_end(datetime(2026, 3, 29, 12, 0, tzinfo=UTC), "Europe/Berlin", window) is None
    )
    daytime = (time(9, 0), time(17, 0))
    assert quiet_hours_end(datetime(2026, 1, 5, 9, 0, tzinfo=UTC), "UTC", daytime) == datetime(
        2026, 1, 5, 17, 0, tzinfo=UTC
    )
    assert quiet_hours_end(datetime(2026, 1, 5, 17, 0, tzinfo=UTC), "UTC", daytime) is None


async def test_paging_reads_the_rules_by_index_probes(app: FastAPI) -> None:
    """Autovacuum is off (no statistics): the statement's plan must not depend on them."""
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            text(f"EXPLAIN {_PREFERENCES_SQL.text}"), {"ids": [uuid.uuid4(), uuid.uuid4()]}
        )
        plan = "\n".join(row[0] for row in rows)
    assert "Seq Scan" not in plan, plan
    for index in ("users_pkey", "notification_rules_user_idx", "notification_quiet_hours_pkey"):
        assert index in plan, plan
