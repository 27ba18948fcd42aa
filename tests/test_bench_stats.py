"""The stack bench's pure helpers (bench/stack_stats.py): percentiles with implicit zeros, CPU
deltas over a changing set of processes."""

from __future__ import annotations

from bench.stack_stats import (
    by_service,
    cpu_delta,
    cpu_seconds,
    minus_idle,
    per_unit_ms,
    percentile,
    service_of,
)


def test_percentile_of_values_alone() -> None:
    values = [0.4, 0.1, 0.3, 0.2]
    assert percentile(values, 0.0) == 0.1
    assert percentile(values, 0.5) == 0.3
    assert percentile(values, 0.99) == 0.4
    assert percentile([], 0.5) == 0.0


def test_percentile_counts_the_zeros_it_is_told_about() -> None:
    assert percentile([5.0], 0.5, zeros=99) == 0.0
    assert percentile([5.0], 0.99, zeros=99) == 5.0
    assert percentile([], 0.99, zeros=10) == 0.0
    assert percentile([1.0, 2.0], 0.5, zeros=2) == 1.0


def test_cpu_delta_over_processes_that_come_and_go() -> None:
    before = {1: 10.0, 2: 5.0, 3: 1.0}
    after = {1: 12.5, 2: 1.5, 4: 0.25}  # 2 is a reused pid, 3 ended, 4 started
    assert cpu_delta(before, after) == 2.5 + 1.5 + 0.25


def test_per_unit_ms() -> None:
    assert per_unit_ms(0.5, 1000) == 0.5
    assert per_unit_ms(1.0, 0) == 0.0


def test_minus_idle_leaves_the_work_of_the_load() -> None:
    spent = {"ingestion": 3.0, "prometheus": 0.1}
    idle = {"ingestion": 0.01, "prometheus": 0.02}
    assert minus_idle(spent, idle, 10.0) == {"ingestion": 2.9, "prometheus": 0.0}


def test_replicas_of_a_service_are_summed_other_processes_kept() -> None:
    spent = {
        "alert-ingestion.1": 1.0,
        "alert-ingestion.2": 0.5,
        "api-gateway": 2.0,  # REPLICAS=1: the service's own pid file
        "balancer": 0.25,
        "postgresql": 3.0,
        "load generator": 0.75,
    }
    assert by_service(spent) == {
        "alert-ingestion": 1.5,
        "api-gateway": 2.0,
        "balancer": 0.25,
        "postgresql": 3.0,
        "load generator": 0.75,
    }
    assert service_of("notification.12") == "notification"
    assert service_of("web-ui") == "web-ui"
    assert service_of("v1.x") == "v1.x"


def test_cpu_seconds_reads_a_live_process_and_zero_for_a_gone_one() -> None:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "sum(range(3_000_000)); input()"],
                             stdin=subprocess.PIPE)  # fmt: skip
    try:
        spent = 0.0
        for _ in range(200):  # bounded: until the child has burnt its loop
            spent = cpu_seconds(child.pid)
            if spent > 0.02:
                break
            __import__("time").sleep(0.05)
        assert spent > 0.02
    finally:
        child.communicate(b"\n", timeout=30)
    assert cpu_seconds(child.pid) == 0.0  # reaped: no such process
