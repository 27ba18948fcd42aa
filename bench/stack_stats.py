"""The benchmarks' statistics, once: percentiles and CPU accounting (unit tested).

Everything here is pure but ``cpu_seconds``, which reads one process's counters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence

import psutil


def percentile(values: Sequence[float], q: float, *, zeros: int = 0) -> float:
    """The q-quantile (nearest rank, 0 <= q <= 1) of ``values`` plus ``zeros`` values of 0.

    ``zeros`` stands for the many alerts that were on their incident when answered (lag 0), so
    a run of a million of them needs no million-element list.
    """
    total = zeros + len(values)
    if total == 0:
        return 0.0
    rank = min(total - 1, int(q * total))
    if rank < zeros:
        return 0.0
    return sorted(values)[rank - zeros]


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of a process and its children so far (a uvicorn supervisor's
    workers count with it); 0 once it is gone (a PostgreSQL backend that ended)."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
    return total


def cpu_delta(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """CPU seconds spent between two {pid: cpu seconds} readings of a changing set of processes.

    A pid first seen in ``after`` started in between: all its CPU counts. A pid whose reading went
    down is a new process under a reused pid: likewise. A pid gone from ``after`` is lost (its
    last interval cannot be read any more); pools keep their connections, so that is rare.
    """
    spent = 0.0
    for pid, seconds in after.items():
        previous = before.get(pid, 0.0)
        spent += seconds - previous if seconds >= previous else seconds
    return spent


def per_unit_ms(seconds: float, units: int) -> float:
    return seconds / units * 1000 if units else 0.0


def minus_idle(
    spent: Mapping[str, float], idle_rates: Mapping[str, float], seconds: float
) -> dict[str, float]:
    """CPU each process spent beyond what it spends idle (pollers, scrapes) over ``seconds``:
    the work the load caused. Never below zero."""
    return {
        name: max(0.0, value - idle_rates.get(name, 0.0) * seconds) for name, value in spent.items()
    }


def service_of(process: str) -> str:
    """The service a process of STACK_DIR/pids belongs to: ``alert-ingestion.2`` (replica 2 of
    `make up REPLICAS=N`, tools/replicas.py) -> ``alert-ingestion``; other names are their own."""
    name, _, replica = process.rpartition(".")
    return name if name and replica.isdigit() else process


def by_service(per_process: Mapping[str, float]) -> dict[str, float]:
    """Values of processes (CPU seconds, RSS) summed per service over its replicas."""
    summed: dict[str, float] = {}
    for process, value in per_process.items():
        service = service_of(process)
        summed[service] = summed.get(service, 0.0) + value
    return summed
