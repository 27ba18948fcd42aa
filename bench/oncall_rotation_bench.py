"""Cost of the on-call rotation math (pure, no database): `uv run python -m bench.oncall_rotation_bench`.

Measures what the API does per request: one "who is on call" lookup (a ±35-day merge, as
GET /api/v1/oncall/current and the escalation engine do per schedule), and the worst shifts listing
the API allows (92 days of 1-hour shifts on several layers with restrictions and overrides).
"""

from __future__ import annotations

import statistics
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nightwatch_oncall.schedules.oncall import MAX_RANGE, SHIFT_HORIZON
from nightwatch_oncall.schedules.rotation import (
    Layer,
    Override,
    Restriction,
    Schedule,
    final_segments,
    oncall_at,
)

from bench.stack_stats import percentile

BUSINESS = Restriction(frozenset(range(5)), 9 * 60, 17 * 60)
NIGHTS = Restriction(frozenset(range(7)), 22 * 60, 6 * 60)


def _schedule(rotation_type: str, layers: int) -> Schedule:
    built = tuple(
        Layer(
            key=f"L{level}",
            level=level,
            participants=tuple("abcdefgh"[: 3 + level]),
            rotation_type=rotation_type,  # type: ignore[arg-type]
            shift_length=1,
            start_date=date(2025, 1, 1),
            handoff_time=time(9, 0),
            restrictions=() if level == 1 else ((BUSINESS,) if level % 2 else (NIGHTS,)),
        )
        for level in range(1, layers + 1)
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    overrides = tuple(
        Override(
            f"o{i}", "z", start + timedelta(days=3 * i), start + timedelta(days=3 * i, hours=5)
        )
        for i in range(100)
    )
    return Schedule(ZoneInfo("Europe/Berlin"), built, overrides)


def _timed(label: str, repeat: int, run: Callable[[], object]) -> None:
    samples = []
    for _ in range(repeat):
        started = clock.perf_counter()
        run()
        samples.append((clock.perf_counter() - started) * 1000)
    p95 = percentile(samples, 0.95)
    print(
        f"{label:<62} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms   (n={repeat})"
    )


def main() -> None:
    at = datetime(2026, 3, 29, 12, tzinfo=UTC)  # the day Berlin changes to summer time
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for rotation_type in ("weekly", "daily", "hourly"):
        schedule = _schedule(rotation_type, 3)
        _timed(
            f"who is on call, 3 {rotation_type} layers + 100 overrides",
            50,
            lambda s=schedule: oncall_at(s, at, horizon=SHIFT_HORIZON),
        )
    for layers in (1, 3, 5):
        schedule = _schedule("hourly", layers)
        segments = len(final_segments(schedule, start, start + MAX_RANGE))
        _timed(
            f"shifts, 92 days (the API maximum), {layers} hourly layer(s) -> {segments} shifts",
            5,
            lambda s=schedule: final_segments(s, start, start + MAX_RANGE),
        )


if __name__ == "__main__":
    main()
