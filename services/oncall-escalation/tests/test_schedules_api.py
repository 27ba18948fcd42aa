"""Schedules, overrides, who is on call, shifts and iCal over HTTP on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import icalendar
import pytest
from nightwatch_core.clock import ManualClock


async def make_team(client: httpx.AsyncClient, name: str, *people: str) -> dict[str, Any]:
    users = {}
    for person in people:
        response = await client.post(
            "/api/v1/users",
            json={
                "name": person,
                "email": f"{person.lower()}@{name}.example.com",
                "contact_methods": [{"type": "email", "address": f"{person.lower()}@example.com"}],
            },
        )
        assert response.status_code == 201, response.text
        users[person] = response.json()["id"]
    members = [{"user_id": uid} for uid in users.values()]
    team = await client.post("/api/v1/teams", json={"name": name, "members": members})
    assert team.status_code == 201, team.text
    return {"team": team.json(), **users}


async def make_schedule(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/schedules", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def oncall(client: httpx.AsyncClient, team: str, at: str) -> dict[str, Any]:
    response = await client.get("/api/v1/oncall/current", params={"team": team, "at": at})
    assert response.status_code == 200, response.text
    return response.json()


def names(answer: dict[str, Any]) -> list[str]:
    return [entry["user"]["name"] for entry in answer["oncall"]]


@pytest.fixture
async def ops(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_team(client, "ops", "Alice", "Bob", "Carol")


def daily(people: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "participants": people,
        "rotation_type": "daily",
        "start_date": "2026-01-05",
        "handoff_time": "09:00",
        **extra,
    }


async def test_daily_handoff_at_the_boundary_and_wrap_around(
    client: httpx.AsyncClient, ops: dict[str, Any]
) -> None:
    people = [ops["Alice"], ops["Bob"], ops["Carol"]]
    schedule = await make_schedule(
        client, name="Primary", team="ops", timezone="UTC", layers=[daily(people)]
    )
    assert names(await oncall(client, "ops", "2026-01-06T08:59:59Z")) == ["Alice"]
    at_boundary = await oncall(client, "ops", "2026-01-06T09:00:00Z")
    assert names(at_boundary) == ["Bob"]
    entry = at_boundary["oncall"][0]
    assert entry["schedule_id"] == schedule["id"]
    assert entry["source"] == "layer"
    assert entry["layer_level"] == 1 and entry["layer_name"] == "Layer 1"
    assert entry["shift_start"] == "2026-01-06T09:00:00Z"
    assert entry["shift_end"] == "2026-01-07T09:00:00Z"
    assert entry["user"]["contact_methods"][0]["type"] == "email"
    assert names(await oncall(client, "ops", "2026-01-08T09:00:00Z")) == ["Alice"]  # wrap-around
    # By team id as well as by name.
    by_id = await oncall(client, ops["team"]["id"], "2026-01-07T10:00:00Z")
    assert names(by_id) == ["Carol"]


async def test_hourly_and_weekly_rotations(client: httpx.AsyncClient, ops: dict[str, Any]) -> None:
    await make_schedule(
        client,
        name="Hourly",
        team="ops",
        layers=[daily([ops["Alice"], ops["Bob"]], rotation_type="hourly", shift_length=12)],
    )
    await make_team(client, "db", "Dave", "Erin")
    db_users = (await client.get("/api/v1/teams/db/members")).json()["items"]
    by_name = {m["name"]: m["user_id"] for m in db_users}
    await make_schedule(
        client,
        name="Weekly",
        team="db",
        layers=[daily([by_name["Dave"], by_name["Erin"]], rotation_type="weekly")],
    )
    assert names(await oncall(client, "ops", "2026-01-05T20:59:00Z")) == ["Alice"]
    assert names(await oncall(client, "ops", "2026-01-05T21:00:00Z")) == ["Bob"]
    assert names(await oncall(client, "db", "2026-01-12T08:59:00Z")) == ["Dave"]
    assert names(await oncall(client, "db", "2026-01-12T09:00:00Z")) == ["Erin"]


async def test_dst_change_in_berlin(client: httpx.AsyncClient, ops: dict[str, Any]) -> None:
    layer = daily([ops["Alice"], ops["Bob"]], start_date="2026-03-27")
    schedule = await make_schedule(
        client, name="Berlin", team="ops", timezone="Europe/Berlin", layers=[layer]
    )
    # 09:00 CET = 08:00Z before the change, 09:00 CEST = 07:00Z after it (2026-03-29).
    assert names(await oncall(client, "ops", "2026-03-28T07:59:00Z")) == ["Alice"]
    assert names(await oncall(client, "ops", "2026-03-28T08:00:00Z")) == ["Bob"]
    assert names(await oncall(client, "ops", "2026-03-29T06:59:00Z")) == ["Bob"]
    assert names(await oncall(client, "ops", "2026-03-29T07:00:00Z")) == ["Alice"]
    shifts = (
        await client.get(
            f"/api/v1/schedules/{schedule['id']}/shifts",
            params={"from": "2026-03-28T08:00:00Z", "to": "2026-03-30T07:00:00Z"},
        )
    ).json()
    bounds = [(s["start"], s["end"], s["user"]["name"]) for s in shifts["shifts"]]
    assert bounds == [
        ("2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "Bob"),  # the 23-hour day
        ("2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z", "Alice"),
    ]


async def test_higher_layer_wins_and_restrictions(
    client: httpx.AsyncClient, ops: dict[str, Any]
) -> None:
    business_hours = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
    schedule = await make_schedule(
        client,
        name="Layered",
        team="ops",
        timezone="America/New_York",
        layers=[
            daily([ops["Alice"]], rotation_type="weekly", name="Nights"),
            daily([ops["Bob"]], rotation_type="weekly", restrictions=[business_hours], name="Days"),
        ],
    )
    # Monday 2026-01-05, New York is UTC-5.
    day = await oncall(client, "ops", "2026-01-05T15:00:00Z")
    assert names(day) == ["Bob"]
    assert (day["oncall"][0]["layer_name"], day["oncall"][0]["layer_level"]) == ("Days", 2)
    assert names(await oncall(client, "ops", "2026-01-05T22:00:00Z")) == ["Alice"]  # 17:00 local
    assert names(await oncall(client, "ops", "2026-01-10T15:00:00Z")) == ["Alice"]  # Saturday
    shifts = (
        await client.get(
            f"/api/v1/schedules/{schedule['id']}/shifts",
            params={"from": "2026-01-05T14:00:00Z", "to": "2026-01-06T14:00:00Z"},
        )
    ).json()
    assert [(s["user"]["name"], s["start"], s["end"]) for s in shifts["shifts"]] == [
        ("Bob", "2026-01-05T14:00:00Z", "2026-01-05T22:00:00Z"),
        ("Alice", "2026-01-05T22:00:00Z", "2026-01-06T14:00:00Z"),
    ]
    assert shifts["gaps"] == []


async def test_gap_is_an_explicit_nobody_and_unknown_team_is_404(
    client: httpx.AsyncClient, ops: dict[str, Any]
) -> None:
    no_schedule = await oncall(client, "ops", "2026-01-05T12:00:00Z")
    assert no_schedule["nobody_on_call"] is True and no_schedule["oncall"] == []
    assert "no schedule" in no_schedule["message"]
    business = {"days": ["mon"], "start": "09:00", "end": "17:00"}
    schedule = await make_schedule(
        client, name="Mondays", team="ops", layers=[daily([ops["Alice"]], restrictions=[business])]
    )
    gap = await oncall(client, "ops", "2026-01-06T12:00:00Z")
    assert gap["nobody_on_call"] is True
    assert gap["schedules_without_oncall"] == [{"id": schedule["id"], "name": "Mondays"}]
    assert "Nobody on call" in gap["message"]
    unknown = await client.get("/api/v1/oncall/current", params={"team": "nope"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "Team nope not found"


async def test_overrides_added_and_removed(client: httpx.AsyncClient, ops: dict[str, Any]) -> None:
    schedule = await make_schedule(
        client, name="Primary", team="ops", layers=[daily([ops["Alice"], ops["Bob"]])]
    )
    url = f"/api/v1/schedules/{schedule['id']}/overrides"
    window = {"start": "2026-01-05T12:00:00Z", "end": "2026-01-05T18:00:00Z"}
    created = await client.post(url, json={"user_id": ops["Carol"], **window})
    assert created.status_code == 201, created.text
    override = created.json()
    answer = await oncall(client, "ops", "2026-01-05T13:00:00Z")
    assert names(answer) == ["Carol"]
    assert answer["oncall"][0]["source"] == "override"
    assert answer["oncall"][0]["override_id"] == override["id"]
    assert answer["oncall"][0]["shift_end"] == "2026-01-05T18:00:00Z"
    assert names(await oncall(client, "ops", "2026-01-05T18:00:00Z")) == ["Alice"]

    overlap = await client.post(
        url,
        json={
            "user_id": ops["Bob"],
            "start": "2026-01-05T17:00:00Z",
            "end": "2026-01-05T19:00:00Z",
        },
    )
    assert overlap.status_code == 409
    assert override["id"] in overlap.json()["error"]["message"]
    inverted = await client.post(
        url,
        json={
            "user_id": ops["Bob"],
            "start": "2026-01-06T10:00:00Z",
            "end": "2026-01-06T09:00:00Z",
        },
    )
    assert inverted.status_code == 422
    listed = (await client.get(url)).json()
    assert [o["id"] for o in listed["items"]] == [override["id"]]
    assert (listed["total"], listed["limit"], listed["offset"]) == (1, 500, 0)

    assert (await client.delete(f"{url}/{override['id']}")).status_code == 204
    assert names(await oncall(client, "ops", "2026-01-05T13:00:00Z")) == ["Alice"]
    assert (await client.delete(f"{url}/{override['id']}")).status_code == 404


async def test_shifts_and_ical_parsed_back(
    client: httpx.AsyncClient, ops: dict[str, Any], clock: ManualClock
) -> None:
    clock.set(datetime(2026, 1, 5, 12, tzinfo=UTC))
    schedule = await make_schedule(
        client, name="Primary", team="ops", layers=[daily([ops["Alice"], ops["Bob"]])]
    )
    await client.post(
        f"/api/v1/schedules/{schedule['id']}/overrides",
        json={
            "user_id": ops["Carol"],
            "start": "2026-01-07T09:00:00Z",
            "end": "2026-01-07T21:00:00Z",
        },
    )
    listing = await client.get(
        f"/api/v1/schedules/{schedule['id']}/shifts",
        params={"from": "2026-01-05T09:00:00Z", "to": "2026-01-08T09:00:00Z"},
    )
    assert listing.status_code == 200
    body = listing.json()
    assert (body["from"], body["to"]) == ("2026-01-05T09:00:00Z", "2026-01-08T09:00:00Z")
    assert [(s["user"]["name"], s["source"], s["start"]) for s in body["shifts"]] == [
        ("Alice", "layer", "2026-01-05T09:00:00Z"),
        ("Bob", "layer", "2026-01-06T09:00:00Z"),
        ("Carol", "override", "2026-01-07T09:00:00Z"),
        ("Alice", "layer", "2026-01-07T21:00:00Z"),
    ]

    feed = await client.get(f"/api/v1/schedules/{schedule['id']}/ical")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    assert "Primary" in str(calendar["X-WR-CALNAME"])
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    first = events[0]
    assert first.decoded("dtstart") == datetime(2026, 1, 5, 9, tzinfo=UTC)  # the layer's start
    assert str(first["summary"]) == "On call: Alice"
    carol = next(e for e in events if "Carol" in str(e["summary"]))
    assert carol.decoded("dtstart") == datetime(2026, 1, 7, 9, tzinfo=UTC)
    assert carol.decoded("dtend") == datetime(2026, 1, 7, 21, tzinfo=UTC)
    assert len({str(e["uid"]) for e in events}) == len(events)
    # The same feed fetched an hour later has the same UIDs: subscribers update, never duplicate.
    clock.advance(3600)
    again = icalendar.Calendar.from_ical(
        (await client.get(f"/api/v1/schedules/{schedule['id']}/ical")).content
    )
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == {str(e["uid"]) for e in events}
    # The secret URL serves the same feed without a login (calendar apps cannot send one).
    assert schedule["ical_url"].startswith("/api/v1/calendars/")
    subscribed = await client.get(schedule["ical_url"])
    assert subscribed.status_code == 200
    assert subscribed.headers["content-type"].startswith("text/calendar")
    assert (
        subscribed.content == (await client.get(f"/api/v1/schedules/{schedule['id']}/ical")).content
    )
    unknown = await client.get("/api/v1/calendars/" + "0" * 64 + ".ics")
    assert unknown.status_code == 404
    assert (await client.get("/api/v1/calendars/not-a-token")).status_code == 422
    mine = icalendar.Calendar.from_ical(
        (
            await client.get(
                f"/api/v1/schedules/{schedule['id']}/ical", params={"user_id": ops["Carol"]}
            )
        ).content
    )
    assert [str(e["summary"]) for e in mine.walk("VEVENT")] == ["On call: Carol"]


async def test_schedule_crud_and_bad_input(client: httpx.AsyncClient, ops: dict[str, Any]) -> None:
    layer = daily([ops["Alice"]])
    schedule = await make_schedule(client, name="Primary", team="ops", layers=[layer])
    sid = schedule["id"]
    assert (await client.get(f"/api/v1/schedules/{sid}")).json()["team"]["name"] == "ops"
    listed = (await client.get("/api/v1/schedules", params={"team": "ops"})).json()
    assert [s["id"] for s in listed["items"]] == [sid]
    patched = await client.patch(
        f"/api/v1/schedules/{sid}",
        json={"timezone": "Asia/Tokyo", "layers": [layer, daily([ops["Bob"]], name="Top")]},
    )
    assert patched.status_code == 200, patched.text
    assert [(la["level"], la["name"]) for la in patched.json()["layers"]] == [
        (1, "Layer 1"),
        (2, "Top"),
    ]

    bad_layers = [
        daily([]),  # empty rotation
        daily([ops["Alice"]], shift_length=0),
        daily([ops["Alice"]], shift_length=-3),
        daily([ops["Alice"]], rotation_type="monthly"),
        daily([ops["Alice"]], handoff_time="25:00"),
        daily([ops["Alice"]], start_date="9999-01-01"),
        daily([ops["Alice"]], restrictions=[{"days": ["mon"], "start": "09:00", "end": "09:00"}]),
        daily(
            [ops["Alice"]], restrictions=[{"days": ["funday"], "start": "09:00", "end": "10:00"}]
        ),
    ]
    for bad in bad_layers:
        response = await client.post(
            "/api/v1/schedules", json={"name": "Bad", "team": "ops", "layers": [bad]}
        )
        assert response.status_code == 422, (bad, response.text)
    for body, status in [
        ({"name": "Bad", "team": "ops", "layers": []}, 422),
        ({"name": "Bad", "team": "ops", "timezone": "Nowhere/City", "layers": [layer]}, 422),
        ({"name": "Bad", "team": "ghosts", "layers": [layer]}, 404),
        ({"name": "Bad", "team": "ops", "layers": [daily([ops["team"]["id"]])]}, 404),
        ({"name": "Primary", "team": "ops", "layers": [layer]}, 409),
    ]:
        response = await client.post("/api/v1/schedules", json=body)
        assert response.status_code == status, (body, response.text)

    shifts = f"/api/v1/schedules/{sid}/shifts"
    inverted = await client.get(
        shifts, params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    )
    assert inverted.status_code == 422
    too_long = await client.get(
        shifts, params={"from": "2026-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z"}
    )
    assert too_long.status_code == 422

    # A person in a rotation cannot vanish from under it; a team with schedules neither.
    assert (await client.delete(f"/api/v1/users/{ops['Alice']}")).status_code == 409
    assert (await client.delete("/api/v1/teams/ops")).status_code == 409
    assert (await client.delete(f"/api/v1/schedules/{sid}")).status_code == 204
    assert (await client.get(f"/api/v1/schedules/{sid}")).status_code == 404
    assert (await client.delete(f"/api/v1/users/{ops['Alice']}")).status_code == 204


async def test_a_persons_shifts_across_schedules(
    client: httpx.AsyncClient, ops: dict[str, Any]
) -> None:
    primary = await make_schedule(
        client, name="Primary", team="ops", layers=[daily([ops["Alice"], ops["Bob"]])]
    )
    secondary = await make_schedule(
        client, name="Secondary", team="ops", layers=[daily([ops["Carol"]])]
    )
    # Alice is in no rotation of Secondary, but covers part of it with an override.
    await client.post(
        f"/api/v1/schedules/{secondary['id']}/overrides",
        json={
            "user_id": ops["Alice"],
            "start": "2026-01-06T12:00:00Z",
            "end": "2026-01-06T13:00:00Z",
        },
    )
    three_days = {
        "user_id": ops["Alice"],
        "from": "2026-01-05T00:00:00Z",
        "to": "2026-01-08T00:00:00Z",
    }
    response = await client.get("/api/v1/oncall/shifts", params=three_days)
    assert response.status_code == 200, response.text
    shifts = response.json()["items"]
    assert [(s["schedule_name"], s["source"], s["start"], s["end"]) for s in shifts] == [
        ("Primary", "layer", "2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z"),
        ("Secondary", "override", "2026-01-06T12:00:00Z", "2026-01-06T13:00:00Z"),
        ("Primary", "layer", "2026-01-07T09:00:00Z", "2026-01-08T00:00:00Z"),
    ]
    assert {s["schedule_id"] for s in shifts} == {primary["id"], secondary["id"]}
    assert response.json()["total"] == 3
    second = await client.get(
        "/api/v1/oncall/shifts", params={**three_days, "limit": 1, "offset": 1}
    )
    assert [s["source"] for s in second.json()["items"]] == ["override"]
    assert second.json()["total"] == 3
    unknown = await client.get("/api/v1/oncall/shifts", params={"user_id": ops["team"]["id"]})
    assert unknown.status_code == 404
