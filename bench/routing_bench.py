"""Cost of routing on the alert path (pure, in memory, no database):
`uv run python bench/routing_bench.py` (also `make bench-routing`).

Measures ``RoutingTable.route`` — what ``prepare()`` adds per alert — for alerts shaped like
`make bench`'s, with no rules, with the 200 rules `ROUTING_RULES=200 make bench` creates
(bench/stack_api.add_routing_rules: three in four ``service="..."`` that match by the index, one in
four a regex tried on every alert), and the worst case of 200 regex-only rules that no alert
matches (every rule tried for every alert). The figure is microseconds per alert, to set against
ingestion's CPU per alert on the real stack (docs/benchmarks.md: ~0.4 ms).
"""

from __future__ import annotations

import statistics
import time
import uuid

from nightwatch_ingestion import matchers
from nightwatch_ingestion.routing.engine import RoutingTable, Rule

ALERTS = 800  # the bench's groups: 200 services x 4 severities
SERVICES = 200


def _alerts() -> list[tuple[str, str, dict[str, str]]]:
    return [
        (
            f"bench-svc-{n % SERVICES}",
            ("critical", "high", "medium", "low")[(n // SERVICES) % 4],
            {"env": "production", "pod": f"pod-{n}", "team": "bench"},
        )
        for n in range(ALERTS)
    ]


def _rule(n: int, *texts: str, **actions: object) -> Rule:
    return Rule(
        id=uuid.uuid4(),
        name=f"bench {n}",
        matchers=tuple(matchers.parse(t) for t in texts),
        **actions,  # type: ignore[arg-type]
    )


def bench_rules(count: int) -> list[Rule]:
    """The rules of stack_api.add_routing_rules."""
    return [
        _rule(n, f'service=~"legacy-{n}-.*"', add_labels={"legacy": "1"})
        if n % 4 == 3
        else _rule(
            n,
            f'service="bench-svc-{n % SERVICES}"',
            'env!="staging"',
            set_team="bench",
            add_labels={"routed_by": f"rule-{n}"},
        )
        for n in range(count)
    ]


def _per_alert_us(table: RoutingTable, rounds: int = 50) -> float:
    alerts = _alerts()
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        for service, severity, labels in alerts:
            table.route(service=service, severity=severity, labels=labels)
        samples.append((time.process_time() - started) / len(alerts) * 1e6)
    return statistics.median(samples)


def main() -> None:
    cases = {
        "no rules": RoutingTable([]),
        "no rules, a catch-all": RoutingTable([], catch_all_team="ops"),
        "200 rules (ROUTING_RULES=200)": RoutingTable(bench_rules(200), catch_all_team="ops"),
        # no equality matcher and no match: every rule is tried for every alert (the worst case)
        "200 regex-only rules": RoutingTable(
            [_rule(n, f'service=~"legacy-{n}-.*"', suppress=True) for n in range(200)]
        ),
    }
    print(f"routing, {ALERTS} alerts (median of 50 rounds)")
    for name, table in cases.items():
        print(f"  {name:32s} {_per_alert_us(table):8.2f} us per alert")


if __name__ == "__main__":
    main()
