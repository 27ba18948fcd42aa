"""Cost of the suppression check on the alert path (pure, in memory, no database):
`uv run python -m bench.suppression_bench` (also `make bench-suppression`).

Measures what ingestion adds per batch of alerts before it forwards them: ``SuppressionCache.split``
over a batch of 100 alerts that nothing holds back (the common case: every silence is checked),
with no silences or windows, with 20 windows (4 weekly, in a time zone), and with 200 silences of
two matchers each (half regexes): indexed by their equality matcher, and (the worst case) with
regex matchers only. The figure is microseconds per alert.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from nightwatch_ingestion import matchers
from nightwatch_ingestion.alerts.placement import Prepared
from nightwatch_ingestion.suppression.cache import ActiveSilence, ActiveWindow, SuppressionCache
from nightwatch_ingestion.suppression.recurrence import Schedule

NOW = datetime(2026, 2, 9, 15, 30, tzinfo=UTC)
BATCH = 100


def _alerts() -> list[Prepared]:
    out = []
    for n in range(BATCH):
        labels = {"env": "production", "region": f"eu-{n % 3}", "alertname": f"Check{n % 7}"}
        out.append(
            Prepared(
                alert_id=uuid.uuid4(),
                service=f"service-{n % 50}",
                severity=("critical", "high", "medium", "low")[n % 4],
                fingerprint=f"{n:064x}",
                message="HTTP 5xx error rate > 10%",
                labels=labels,
                labels_json=orjson.dumps(labels).decode(),
                timestamp=None,
                team=f"team-{n % 10}",
                received_at=NOW,
            )
        )
    return out


def _silences(count: int, *, first: str = 'service="quiet-{n}"') -> tuple[ActiveSilence, ...]:
    made = []
    for n in range(count):
        second = f'region=~"us-{n}|ap-.*"' if n % 2 else f'alertname!="Check{n}"'
        made.append(
            ActiveSilence(
                id=uuid.uuid4(),
                matchers=(matchers.parse(first.format(n=n)), matchers.parse(second)),
                starts_at=NOW - timedelta(hours=1),
                ends_at=NOW + timedelta(hours=1),
            )
        )
    return tuple(made)


def _windows(count: int) -> tuple[ActiveWindow, ...]:
    return tuple(
        ActiveWindow(
            id=uuid.uuid4(),
            services=frozenset({f"maint-{n}"}),
            teams=frozenset({f"maint-team-{n}"}),
            schedule=Schedule(
                starts_at=NOW - timedelta(days=3),
                ends_at=NOW - timedelta(days=3) + timedelta(hours=2),
                recurrence="weekly" if n % 5 == 0 else "none",
                time_zone="Europe/Berlin",
                repeat_until=None,
            ),
        )
        for n in range(count)
    )


def _per_alert_us(cache: SuppressionCache, alerts: list[Prepared], rounds: int = 200) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        held = cache.split(alerts, now=NOW)
        samples.append((time.perf_counter() - started) / len(alerts) * 1e6)
        assert not held
    return statistics.median(samples)


def main() -> None:
    alerts = _alerts()
    cases = {
        "nothing loaded": ((), ()),
        "20 windows": ((), _windows(20)),
        "200 silences": (_silences(200), ()),
        "200 silences + 20 windows": (_silences(200), _windows(20)),
        # no equality matcher: every one is checked for every alert (the worst case)
        "200 regex-only silences": (_silences(200, first='service=~"quiet-{n}.*"'), ()),
    }
    print(f"suppression check, batch of {BATCH} alerts that nothing holds back (median of 200)")
    for name, (silences, windows) in cases.items():
        cache = SuppressionCache()
        cache.silences, cache.windows = silences, windows
        print(f"  {name:28s} {_per_alert_us(cache, alerts):8.2f} us per alert")


if __name__ == "__main__":
    main()
