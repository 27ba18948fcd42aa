"""Pure rotation math: who a schedule puts on call, and when. No database, no I/O.

Times in and out are timezone-aware UTC instants; the rules are wall-clock times in the schedule's
IANA zone, so a daily handoff at 09:00 stays at 09:00 local across a DST change (the shift around
the change is 23 or 25 hours long). Hourly rotations count real elapsed hours instead: a wall-clock
hour is ambiguous on the night the clocks go back.

A wall-clock time that does not exist (skipped by a spring-forward) resolves to the same offset as
just before the gap, i.e. the instant the clocks jump past it; an ambiguous one (repeated by a
fall-back) resolves to its first occurrence. Both are deterministic, so handoffs stay monotonic.

Precedence: an override beats every layer; among layers the highest ``level`` with someone on call
wins; where no layer has anyone the schedule has a gap.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

RotationType = Literal["hourly", "daily", "weekly"]
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Restriction:
    """Active on each of ``days`` (Monday = 0) from ``start`` to ``end`` minutes after local
    midnight; ``end <= start`` runs overnight into the next day (e.g. 17:00-09:00)."""

    days: frozenset[int]
    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class Layer:
    key: Hashable
    level: int
    participants: tuple[Hashable, ...]
    rotation_type: RotationType
    shift_length: int
    start_date: date
    handoff_time: time
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class Override:
    key: Hashable
    user: Hashable
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Segment:
    """``user`` is on call in [start, end), put there by ``layer`` or by ``override``."""

    start: datetime
    end: datetime
    user: Hashable
    layer: Hashable | None = None
    override: Hashable | None = None


@dataclass(frozen=True)
class Schedule:
    timezone: ZoneInfo
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = field(default_factory=tuple)


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``zone`` as a UTC instant (gaps and folds: see module doc)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


# ---------------------------------------------------------------- a single rotation


def _anchor_local(layer: Layer) -> datetime:
    return datetime.combine(layer.start_date, layer.handoff_time)


def handoff(layer: Layer, zone: ZoneInfo, index: int) -> datetime:
    """The instant the ``index``-th shift of the layer starts (index 0 = the layer's start)."""
    if layer.rotation_type == "hourly":
        return to_utc(_anchor_local(layer), zone) + timedelta(hours=layer.shift_length * index)
    days = layer.shift_length * (7 if layer.rotation_type == "weekly" else 1)
    return to_utc(_anchor_local(layer) + timedelta(days=days * index), zone)


def shift_index(layer: Layer, zone: ZoneInfo, instant: datetime) -> int | None:
    """The shift containing ``instant``; None before the layer starts."""
    first = handoff(layer, zone, 0)
    if instant < first:
        return None
    if layer.rotation_type == "hourly":
        return int((instant - first) // timedelta(hours=layer.shift_length))
    days = layer.shift_length * (7 if layer.rotation_type == "weekly" else 1)
    # Estimate on wall-clock time, then correct: a DST change moves handoffs by at most an hour,
    # so the estimate is off by at most one shift either way.
    wall = instant.astimezone(zone).replace(tzinfo=None)
    index = max(0, int((wall - _anchor_local(layer)) // timedelta(days=days)))
    for _ in range(3):
        if handoff(layer, zone, index) > instant:
            index -= 1
        elif handoff(layer, zone, index + 1) <= instant:
            index += 1
        else:
            break
    return index


def participant(layer: Layer, index: int) -> Hashable:
    return layer.participants[index % len(layer.participants)]


def rotation_segments(
    layer: Layer, zone: ZoneInfo, start: datetime, end: datetime
) -> list[Segment]:
    """The layer's rotation in [start, end), ignoring restrictions."""
    first = shift_index(layer, zone, start)
    index = 0 if first is None else first
    segments: list[Segment] = []
    shift_start = handoff(layer, zone, index)
    while shift_start < end:
        shift_end = handoff(layer, zone, index + 1)
        lo, hi = max(shift_start, start), min(shift_end, end)
        if lo < hi:
            segments.append(Segment(lo, hi, participant(layer, index), layer=layer.key))
        index += 1
        shift_start = shift_end
    return segments


# ---------------------------------------------------------------- restrictions


def restriction_windows(
    restrictions: Iterable[Restriction], zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Disjoint, sorted UTC windows in [start, end) where any restriction is active."""
    windows: list[tuple[datetime, datetime]] = []
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date()
    for restriction in restrictions:
        day = first_day
        while day <= last_day:
            if day.weekday() in restriction.days:
                midnight = datetime.combine(day, time())
                length = (restriction.end_minute - restriction.start_minute) % MINUTES_PER_DAY
                length = length or MINUTES_PER_DAY
                lo_local = midnight + timedelta(minutes=restriction.start_minute)
                lo = max(to_utc(lo_local, zone), start)
                hi = min(to_utc(lo_local + timedelta(minutes=length), zone), end)
                if lo < hi:
                    windows.append((lo, hi))
            day += timedelta(days=1)
    return _union(windows)


def _union(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(windows):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def layer_segments(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[Segment]:
    """The layer's rotation in [start, end), cut down to its restriction windows."""
    segments = rotation_segments(layer, zone, start, end)
    if not layer.restrictions:
        return segments
    windows = restriction_windows(layer.restrictions, zone, start, end)
    # Both lists are sorted and disjoint: intersect them in one merge-like pass.
    cut: list[Segment] = []
    i = j = 0
    while i < len(segments) and j < len(windows):
        segment, (window_start, window_end) = segments[i], windows[j]
        lo, hi = max(window_start, segment.start), min(window_end, segment.end)
        if lo < hi:
            cut.append(Segment(lo, hi, segment.user, layer=layer.key))
        if segment.end <= window_end:
            i += 1
        else:
            j += 1
    return cut


# ---------------------------------------------------------------- the merged schedule


def _covering(
    segments: Sequence[Segment], starts: Sequence[datetime], at: datetime
) -> Segment | None:
    position = bisect.bisect_right(starts, at) - 1
    if position >= 0 and segments[position].end > at:
        return segments[position]
    return None


def final_segments(schedule: Schedule, start: datetime, end: datetime) -> list[Segment]:
    """Who is on call in [start, end) after layers and overrides are merged; gaps are absent.

    Adjacent pieces with the same person from the same source are joined into one shift.
    """
    if start >= end:
        return []
    zone = schedule.timezone
    layers = sorted(schedule.layers, key=lambda layer: layer.level, reverse=True)
    per_layer = [layer_segments(layer, zone, start, end) for layer in layers]
    overrides = sorted(
        (
            Segment(max(o.start, start), min(o.end, end), o.user, override=o.key)
            for o in schedule.overrides
            if o.start < end and o.end > start
        ),
        key=lambda s: s.start,
    )
    # Overrides are kept non-overlapping by the API; should two overlap anyway, the earlier-starting
    # one is cut short where the next begins, so the result stays deterministic.
    overrides = [
        Segment(s.start, min(s.end, overrides[i + 1].start), s.user, override=s.override)
        if i + 1 < len(overrides)
        else s
        for i, s in enumerate(overrides)
    ]
    sources = [overrides, *per_layer]
    starts = [[s.start for s in segments] for segments in sources]
    boundaries = sorted(
        {start, end} | {t for segments in sources for s in segments for t in (s.start, s.end)}
    )
    result: list[Segment] = []
    for lo, hi in itertools.pairwise(boundaries):
        winner = next(
            (
                found
                for segments, segment_starts in zip(sources, starts, strict=True)
                if (found := _covering(segments, segment_starts, lo)) is not None
            ),
            None,
        )
        if winner is None:
            continue
        piece = Segment(lo, hi, winner.user, layer=winner.layer, override=winner.override)
        previous = result[-1] if result else None
        if (
            previous is not None
            and previous.end == lo
            and (previous.user, previous.layer, previous.override)
            == (piece.user, piece.layer, piece.override)
        ):
            result[-1] = Segment(previous.start, hi, piece.user, piece.layer, piece.override)
        else:
            result.append(piece)
    return result


def oncall_at(schedule: Schedule, at: datetime, *, horizon: timedelta) -> Segment | None:
    """The final shift containing ``at`` (None in a gap), its bounds looked for within
    ``horizon`` either side; a bound at the edge of that window means "further than that".

    Most shifts are found in a window of a day or a week, so those are tried first: merging
    ±35 days of hourly shifts for every lookup would be wasted work.
    """
    found: Segment | None = None
    for window in (timedelta(days=1), timedelta(days=8), horizon):
        window = min(window, horizon)
        lo, hi = at - window, at + window
        found = next((s for s in final_segments(schedule, lo, hi) if s.start <= at < s.end), None)
        if found is None or (found.start > lo and found.end < hi) or window == horizon:
            return found
    return found
