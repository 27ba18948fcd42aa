"""The unauthenticated calendar feed (issue #12, finding 10): a pathological schedule costs a
bounded amount of work, computed off the event loop; the feed's secret URL can be rotated."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import icalendar
import pytest
from nightwatch_core.clock import ManualClock
from nightwatch_oncall.schedules import feed as feed_module
from nightwatch_oncall.schedules import rotation
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from .test_schedules_api import make_schedule, make_team

PEOPLE = 200
LAYERS = 20


@pytest.fixture
async def ops(client: httpx.AsyncClient) -> dict[str, Any]:
    return await make_team(client, "ops", "Alice", "Bob")


def hourly(people: list[str]) -> dict[str, Any]:
    return {
        "participants": people,
        "rotation_type": "hourly",
        "start_date": "2026-01-05",
        "handoff_time": "00:00",
    }


async def test_a_pathological_schedule_costs_a_bounded_feed(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 3, 2, 12, tzinfo=UTC))
    team = f"crowd-{uuid.uuid4().hex[:6]}"
    made = await make_team(client, team, *(f"P{i:03d}" for i in range(PEOPLE)))
    people = [made[f"P{i:03d}"] for i in range(PEOPLE)]
    layers = [hourly(people[i:] + people[:i]) for i in range(LAYERS)]
    schedule = await make_schedule(client, name="Everyone", team=team, layers=layers)

    feed = await client.get(schedule["ical_url"])
    assert feed.status_code == 200, feed.text
    # 20 layers x 24 hourly shifts = 480 a day; ICAL_MAX_LAYER_SHIFTS (5,000) fits 10 days.
    assert feed.headers["x-feed-days"] == "10"
    events = [c for c in icalendar.Calendar.from_ical(feed.content).walk("VEVENT")]
    assert 0 < len(events) <= 10 * 24
    today = datetime(2026, 3, 2, tzinfo=UTC)
    assert all(today <= e.decoded("dtstart") < datetime(2026, 3, 12, tzinfo=UTC) for e in events)


async def test_an_ordinary_schedule_keeps_its_whole_window(
    client: httpx.AsyncClient, ops: dict[str, Any], clock: ManualClock
) -> None:
    clock.set(datetime(2026, 3, 2, 12, tzinfo=UTC))
    layer = {**hourly([ops["Alice"], ops["Bob"]]), "rotation_type": "daily"}
    schedule = await make_schedule(client, name="Normal", team="ops", layers=[layer])
    feed = await client.get(f"/api/v1/schedules/{schedule['id']}/ical")
    assert feed.headers["x-feed-days"] == "92"  # 7 back, 85 ahead


async def test_the_feed_is_computed_off_the_event_loop(
    client: httpx.AsyncClient, ops: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    merge = rotation.final_segments

    def recording(*args: Any) -> Any:
        threads.append(threading.current_thread())
        return merge(*args)

    monkeypatch.setattr(rotation, "final_segments", recording)
    layer = hourly([ops["Alice"], ops["Bob"]])
    schedule = await make_schedule(client, name="Threaded", team="ops", layers=[layer])
    assert (await client.get(schedule["ical_url"])).status_code == 200
    assert threads and all(t is not threading.main_thread() for t in threads)


@pytest.fixture
def orm_statements() -> Iterator[list[str]]:
    """Statements run through any session that load mapped classes (ORM entities)."""
    seen: list[str] = []

    def record(state: ORMExecuteState) -> None:
        if state.all_mappers:
            seen.append(", ".join(m.class_.__name__ for m in state.all_mappers))

    event.listen(Session, "do_orm_execute", record)
    yield seen
    event.remove(Session, "do_orm_execute", record)


async def test_the_loop_reads_plain_rows_and_the_thread_does_the_rest(
    client: httpx.AsyncClient,
    clock: ManualClock,
    orm_statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading a schedule's participants as ORM objects was itself most of the loop's time on a
    pathological feed: the feed's queries return rows, and building the model, the shift list
    and the calendar happens in the worker thread."""
    clock.set(datetime(2026, 3, 2, 12, tzinfo=UTC))
    team = f"rows-{uuid.uuid4().hex[:6]}"
    made = await make_team(client, team, *(f"R{i:02d}" for i in range(20)))
    people = [made[f"R{i:02d}"] for i in range(20)]
    layers = [hourly(people[i:] + people[:i]) for i in range(5)]
    schedule = await make_schedule(client, name="Rows", team=team, layers=layers)
    builders: list[threading.Thread] = []
    build = feed_module.build_feed

    def recording(*args: Any, **kwargs: Any) -> Any:
        builders.append(threading.current_thread())
        return build(*args, **kwargs)

    monkeypatch.setattr(feed_module, "build_feed", recording)
    orm_statements.clear()
    for url in (schedule["ical_url"], f"/api/v1/schedules/{schedule['id']}/ical"):
        answer = await client.get(url)
        assert answer.status_code == 200, answer.text
        assert len(icalendar.Calendar.from_ical(answer.content).walk("VEVENT")) > 24
    assert orm_statements == []
    assert len(builders) == 2 and threading.main_thread() not in builders


async def test_an_unknown_schedule_or_token_is_404(client: httpx.AsyncClient) -> None:
    unknown = await client.get(f"/api/v1/schedules/{uuid.uuid4()}/ical")
    assert unknown.status_code == 404, unknown.text
    assert (await client.get(f"/api/v1/calendars/{'0' * 64}.ics")).status_code == 404


async def test_rotating_the_token_retires_the_old_feed_url(
    client: httpx.AsyncClient, ops: dict[str, Any]
) -> None:
    layer = hourly([ops["Alice"], ops["Bob"]])
    schedule = await make_schedule(client, name="Rotated", team="ops", layers=[layer])
    old = schedule["ical_url"]
    assert (await client.get(old)).status_code == 200
    rotated = await client.post(f"/api/v1/schedules/{schedule['id']}/ical-token")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["ical_url"]
    assert new != old and new.startswith("/api/v1/calendars/")
    assert (await client.get(old)).status_code == 404
    assert (await client.get(new)).status_code == 200
    fetched = await client.get(f"/api/v1/schedules/{schedule['id']}")
    assert fetched.json()["ical_url"] == new
