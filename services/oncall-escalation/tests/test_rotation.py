"""Pure rotation math (no database): handoffs, wrap-around, DST, restrictions, layers, overrides."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nightwatch_oncall.schedules.rotation import (
    Layer,
    Override,
    Restriction,
    Schedule,
    Segment,
    final_segments,
    handoff,
    layer_segments,
    oncall_at,
    restriction_windows,
    shift_index,
)

UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def layer(
    participants: str = "abc",
    rotation_type: str = "daily",
    *,
    shift_length: int = 1,
    start: date = date(2026, 1, 5),
    handoff_at: time = time(9, 0),
    level: int = 1,
    key: str = "L1",
    restrictions: tuple[Restriction, ...] = (),
) -> Layer:
    return Layer(
        key=key,
        level=level,
        participants=tuple(participants),
        rotation_type=rotation_type,  # type: ignore[arg-type]
        shift_length=shift_length,
        start_date=start,
        handoff_time=handoff_at,
        restrictions=restrictions,
    )


def who(schedule: Schedule, at: datetime) -> object:
    segment = oncall_at(schedule, at, horizon=timedelta(days=10))
    return None if segment is None else segment.user


def test_daily_handoff_exactly_at_the_boundary_and_wrap_around() -> None:
    schedule = Schedule(UTC_ZONE, (layer("abc"),))
    assert who(schedule, utc(2026, 1, 5, 8, 59, 59)) is None  # before the layer starts
    assert who(schedule, utc(2026, 1, 5, 9)) == "a"  # the first handoff itself
    assert who(schedule, utc(2026, 1, 6, 8, 59, 59, 999999)) == "a"
    assert who(schedule, utc(2026, 1, 6, 9)) == "b"  # exactly at the boundary: the next person
    assert who(schedule, utc(2026, 1, 7, 9)) == "c"
    assert who(schedule, utc(2026, 1, 8, 9)) == "a"  # wrap-around
    assert who(schedule, utc(2026, 4, 14, 9)) == "a"  # 99 days later: 99 % 3 == 0
    assert who(schedule, utc(2026, 4, 15, 9)) == "b"


def test_hourly_rotation_with_shift_length() -> None:
    rotation = layer("ab", "hourly", shift_length=8, handoff_at=time(6, 0))
    schedule = Schedule(UTC_ZONE, (rotation,))
    assert who(schedule, utc(2026, 1, 5, 6)) == "a"
    assert who(schedule, utc(2026, 1, 5, 13, 59)) == "a"
    assert who(schedule, utc(2026, 1, 5, 14)) == "b"
    assert who(schedule, utc(2026, 1, 5, 22)) == "a"
    assert handoff(rotation, UTC_ZONE, 3) == utc(2026, 1, 6, 6)


def test_weekly_rotation() -> None:
    schedule = Schedule(UTC_ZONE, (layer("ab", "weekly", handoff_at=time(10, 0)),))
    assert who(schedule, utc(2026, 1, 12, 9, 59)) == "a"
    assert who(schedule, utc(2026, 1, 12, 10)) == "b"
    assert who(schedule, utc(2026, 1, 19, 10)) == "a"


def test_n_day_rotation() -> None:
    schedule = Schedule(UTC_ZONE, (layer("ab", "daily", shift_length=3),))
    assert who(schedule, utc(2026, 1, 8, 8)) == "a"
    assert who(schedule, utc(2026, 1, 8, 9)) == "b"


def test_daily_handoff_keeps_local_time_across_spring_forward() -> None:
    # Berlin: 2026-03-29 02:00 CET -> 03:00 CEST. A 09:00 handoff stays 09:00 local.
    rotation = layer("ab", start=date(2026, 3, 27), handoff_at=time(9, 0))
    assert handoff(rotation, BERLIN, 1) == utc(2026, 3, 28, 8)  # 09:00 CET
    assert handoff(rotation, BERLIN, 2) == utc(2026, 3, 29, 7)  # 09:00 CEST
    segments = layer_segments(rotation, BERLIN, utc(2026, 3, 28, 8), utc(2026, 3, 29, 7))
    assert [s.end - s.start for s in segments] == [timedelta(hours=23)]  # the short day
    schedule = Schedule(BERLIN, (rotation,))
    assert who(schedule, utc(2026, 3, 29, 6, 59)) == "b"
    assert who(schedule, utc(2026, 3, 29, 7)) == "a"


def test_daily_handoff_across_fall_back_is_25_hours() -> None:
    # New York: 2026-11-01 02:00 EDT -> 01:00 EST.
    rotation = layer("ab", start=date(2026, 10, 30), handoff_at=time(8, 0))
    first, second = handoff(rotation, NEW_YORK, 2), handoff(rotation, NEW_YORK, 3)
    assert first == utc(2026, 11, 1, 13)  # 08:00 EST
    assert second - handoff(rotation, NEW_YORK, 1) == timedelta(hours=25) + timedelta(hours=24)
    assert shift_index(rotation, NEW_YORK, utc(2026, 11, 1, 12, 59)) == 1
    assert shift_index(rotation, NEW_YORK, utc(2026, 11, 1, 13)) == 2


def test_handoff_inside_the_spring_forward_gap_is_deterministic() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; that handoff happens when the clocks jump.
    rotation = layer("ab", start=date(2026, 3, 28), handoff_at=time(2, 30))
    assert handoff(rotation, BERLIN, 1) == utc(2026, 3, 29, 1, 30)
    assert (
        handoff(rotation, BERLIN, 0) < handoff(rotation, BERLIN, 1) < handoff(rotation, BERLIN, 2)
    )


def test_hourly_rotation_counts_real_hours_across_dst() -> None:
    rotation = layer("ab", "hourly", start=date(2026, 3, 29), handoff_at=time(0, 0))
    # Local midnight CET = 23:00 UTC the day before; 3 real hours later is 03:00 UTC.
    assert handoff(rotation, BERLIN, 3) - handoff(rotation, BERLIN, 0) == timedelta(hours=3)


def test_restrictions_weekdays_nine_to_five() -> None:
    business = Restriction(WEEKDAYS, 9 * 60, 17 * 60)
    schedule = Schedule(BERLIN, (layer("ab", "weekly", restrictions=(business,)),))
    # 2026-01-05 is a Monday; Berlin is UTC+1 in winter.
    assert who(schedule, utc(2026, 1, 5, 8)) == "a"  # 09:00 local
    assert who(schedule, utc(2026, 1, 5, 15, 59)) == "a"
    assert who(schedule, utc(2026, 1, 5, 16)) is None  # 17:00 local: outside
    assert who(schedule, utc(2026, 1, 10, 12)) is None  # Saturday
    segments = final_segments(schedule, utc(2026, 1, 5), utc(2026, 1, 12))
    assert len(segments) == 5
    assert all(s.end - s.start == timedelta(hours=8) for s in segments)


def test_overnight_restriction_crosses_midnight() -> None:
    nights = Restriction(frozenset({4}), 22 * 60, 6 * 60)  # Friday 22:00 -> Saturday 06:00
    windows = restriction_windows([nights], UTC_ZONE, utc(2026, 1, 5), utc(2026, 1, 12))
    assert windows == [(utc(2026, 1, 9, 22), utc(2026, 1, 10, 6))]


def test_whole_day_restriction() -> None:
    whole_day = Restriction(frozenset({0}), 0, 24 * 60)
    windows = restriction_windows([whole_day], UTC_ZONE, utc(2026, 1, 5), utc(2026, 1, 13))
    assert windows == [(utc(2026, 1, 5), utc(2026, 1, 6)), (utc(2026, 1, 12), utc(2026, 1, 13))]


def test_higher_layer_wins_where_it_has_someone() -> None:
    base = layer("ab", "weekly", key="base", level=1)
    business = Restriction(WEEKDAYS, 9 * 60, 17 * 60)
    day_shift = layer("x", "weekly", key="day", level=2, restrictions=(business,))
    schedule = Schedule(UTC_ZONE, (day_shift, base))
    assert who(schedule, utc(2026, 1, 5, 12)) == "x"
    assert who(schedule, utc(2026, 1, 5, 18)) == "a"  # the day layer has nobody: layer 1
    segments = final_segments(schedule, utc(2026, 1, 5, 9), utc(2026, 1, 6, 9))
    assert [(s.user, s.layer) for s in segments] == [("x", "day"), ("a", "base")]
    assert segments[0].end == segments[1].start == utc(2026, 1, 5, 17)


def test_overrides_win_and_adjacent_pieces_merge() -> None:
    schedule = Schedule(
        UTC_ZONE,
        (layer("ab"),),
        (Override("o1", "z", utc(2026, 1, 5, 12), utc(2026, 1, 5, 14)),),
    )
    segments = final_segments(schedule, utc(2026, 1, 5, 9), utc(2026, 1, 6, 12))
    assert segments == [
        Segment(utc(2026, 1, 5, 9), utc(2026, 1, 5, 12), "a", layer="L1"),
        Segment(utc(2026, 1, 5, 12), utc(2026, 1, 5, 14), "z", override="o1"),
        Segment(utc(2026, 1, 5, 14), utc(2026, 1, 6, 9), "a", layer="L1"),
        Segment(utc(2026, 1, 6, 9), utc(2026, 1, 6, 12), "b", layer="L1"),
    ]


def test_override_fills_a_gap() -> None:
    schedule = Schedule(
        UTC_ZONE,
        (layer("a", start=date(2026, 2, 1)),),
        (Override("o", "z", utc(2026, 1, 1), utc(2026, 1, 2)),),
    )
    assert who(schedule, utc(2026, 1, 1, 12)) == "z"
    assert who(schedule, utc(2026, 1, 3)) is None


def test_same_person_on_consecutive_shifts_stays_one_segment_per_shift_source() -> None:
    schedule = Schedule(UTC_ZONE, (layer("a"),))
    segments = final_segments(schedule, utc(2026, 1, 5, 9), utc(2026, 1, 8, 9))
    assert segments == [Segment(utc(2026, 1, 5, 9), utc(2026, 1, 8, 9), "a", layer="L1")]


def test_oncall_at_reports_shift_bounds() -> None:
    schedule = Schedule(UTC_ZONE, (layer("ab"),))
    segment = oncall_at(schedule, utc(2026, 1, 6, 12), horizon=timedelta(days=3))
    assert segment is not None
    assert (segment.start, segment.end, segment.user) == (
        utc(2026, 1, 6, 9),
        utc(2026, 1, 7, 9),
        "b",
    )


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]
)
@pytest.mark.parametrize("rotation_type", ["hourly", "daily", "weekly"])
def test_shift_index_agrees_with_handoffs_all_year(zone: str, rotation_type: str) -> None:
    tz = ZoneInfo(zone)
    rotation = layer(
        "abcd", rotation_type, shift_length=5, start=date(2026, 1, 1), handoff_at=time(2, 30)
    )
    step = timedelta(hours=7, minutes=13)
    instant = utc(2026, 1, 1)
    for _ in range(1300):  # about nine months, through both DST changes
        index = shift_index(rotation, tz, instant)
        if index is not None:
            assert handoff(rotation, tz, index) <= instant < handoff(rotation, tz, index + 1)
        else:
            assert instant < handoff(rotation, tz, 0)
        instant += step


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    layers = []
    for level in range(1, draw(st.integers(1, 3)) + 1):
        restrictions = tuple(
            Restriction(
                frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
                draw(st.integers(0, 1439)),
                draw(st.integers(1, 1440)),
            )
            for _ in range(draw(st.integers(0, 2)))
        )
        layers.append(
            layer(
                draw(st.text("abcd", min_size=1, max_size=4)),
                draw(st.sampled_from(["hourly", "daily", "weekly"])),
                shift_length=draw(st.integers(1, 10)),
                start=date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 120))),
                handoff_at=time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30]))),
                level=level,
                key=f"L{level}",
                restrictions=restrictions,
            )
        )
    overrides = []
    cursor = utc(2026, 1, 1)
    for i in range(draw(st.integers(0, 3))):
        start = cursor + timedelta(hours=draw(st.integers(0, 24 * 60)))
        end = start + timedelta(minutes=draw(st.integers(1, 3 * 24 * 60)))
        overrides.append(Override(f"o{i}", "z", start, end))
        cursor = end
    return Schedule(ZoneInfo(draw(st.sampled_from(ZONES))), tuple(layers), tuple(overrides))


@given(schedule=schedules(), offset_hours=st.integers(0, 24 * 200), hours=st.integers(1, 24 * 30))
@settings(max_examples=100, deadline=None)
def test_final_segments_agree_with_point_lookups(
    schedule: Schedule, offset_hours: int, hours: int
) -> None:
    start = utc(2026, 1, 1) + timedelta(hours=offset_hours)
    end = start + timedelta(hours=hours)
    segments = final_segments(schedule, start, end)
    # Sorted, disjoint, inside the range, never empty.
    for segment in segments:
        assert start <= segment.start < segment.end <= end
    for before, after in itertools.pairwise(segments):
        assert before.end <= after.start
    # At every boundary (and just before it) the merged answer is the layer/override precedence.
    probes = (
        {start} | {s.start for s in segments} | {s.end - timedelta(seconds=1) for s in segments}
    )
    for probe in probes:
        expected = _expected_user(schedule, probe)
        found = next((s.user for s in segments if s.start <= probe < s.end), None)
        assert found == expected, probe


def _expected_user(schedule: Schedule, at: datetime) -> object:
    for override in schedule.overrides:
        if override.start <= at < override.end:
            return override.user
    for candidate in sorted(schedule.layers, key=lambda la: la.level, reverse=True):
        index = shift_index(candidate, schedule.timezone, at)
        if index is None:
            continue
        if candidate.restrictions and not any(
            lo <= at < hi
            for lo, hi in restriction_windows(
                candidate.restrictions,
                schedule.timezone,
                at - timedelta(days=2),
                at + timedelta(days=2),
            )
        ):
            continue
        return candidate.participants[index % len(candidate.participants)]
    return None
