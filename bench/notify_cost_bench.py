"""What a change signal costs the writes it announces (`make bench-notify-cost`, issue #15).

The alert path's database write, reduced to its shape: BENCH_CONNECTIONS connections each commit
transactions that update their own incident once (the correlation statement's update of the
incident a batch joins) and insert BENCH_BATCH alert rows in one statement (ingestion's insert of
the batch). Three ways, in alternating rounds of BENCH_SECONDS each, with one LISTEN connection
open as in a running stack:

- `none`: no signal at all (the baseline);
- `in_transaction`: statement-level triggers calling `pg_notify` inside each writing transaction
  (once per transaction) — the design rejected because of this measurement;
- `after_commit`: what the services do (`nightwatch_core.change_signal.ChangeSignal`): each
  writer calls `signal()` after its commit, one coalesced NOTIFY in a transaction of its own.

Prints transactions/s per round and mode. A throwaway database (TEST_DATABASE_URL's server),
dropped at the end.

    make bench-notify-cost
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid

import asyncpg
from nightwatch_core.change_signal import ChangeSignal

from bench.stack_harness import throwaway_database

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
BATCH = int(os.environ.get("BENCH_BATCH", "10"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
MODES = ("none", "in_transaction", "after_commit")
# The rejected design, created in the throwaway database only.
_TRIGGERS = """
CREATE FUNCTION public.bench_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('nightwatch_changes', TG_ARGV[0]); RETURN NULL; END $$;
CREATE TRIGGER bench_incidents AFTER INSERT OR UPDATE ON incidents.incidents
    FOR EACH STATEMENT EXECUTE FUNCTION public.bench_notify('incidents');
CREATE TRIGGER bench_alerts AFTER INSERT OR UPDATE ON ingestion.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION public.bench_notify('alerts');
"""

_INCIDENT = """
INSERT INTO incidents.incidents (title, description, service, severity, status, created_at,
                                 updated_at)
VALUES ('bench', '', $1, 'high', 'open', now(), now()) RETURNING id
"""
_TOUCH = "UPDATE incidents.incidents SET alert_count = alert_count + $2 WHERE id = $1"
_ALERTS = """
INSERT INTO ingestion.alerts (id, fingerprint, service, severity, message, alert_timestamp, received_at)
SELECT gen_random_uuid(), repeat(md5(random()::text), 2), $1, 'high', 'bench', now(), now()
FROM generate_series(1, $2)
"""


async def _writer(url: str, stop_at: float, signal: ChangeSignal | None) -> int:
    conn = await asyncpg.connect(url)
    try:
        service = f"bench-{uuid.uuid4().hex[:8]}"
        incident = await conn.fetchval(_INCIDENT, service)
        done = 0
        while time.monotonic() < stop_at:
            async with conn.transaction():
                await conn.execute(_TOUCH, incident, BATCH)
                await conn.execute(_ALERTS, service, BATCH)
            if signal is not None:
                signal.signal()
            done += 1
        return done
    finally:
        await conn.close()


async def _round(url: str, signal: ChangeSignal | None) -> float:
    stop_at = time.monotonic() + SECONDS
    counts = await asyncio.gather(*(_writer(url, stop_at, signal) for _ in range(CONNECTIONS)))
    return sum(counts) / SECONDS


async def run(url: str) -> dict[str, object]:
    listener = await asyncpg.connect(url)
    received = [0]
    await listener.add_listener(
        "nightwatch_changes", lambda *_: received.__setitem__(0, received[0] + 1)
    )
    await listener.execute(_TRIGGERS)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    signal = ChangeSignal("incidents")
    signal.bind(pool)
    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    try:
        for _ in range(ROUNDS):
            for mode in MODES:
                verb = "ENABLE" if mode == "in_transaction" else "DISABLE"
                for table, trigger in (
                    ("incidents.incidents", "bench_incidents"),
                    ("ingestion.alerts", "bench_alerts"),
                ):
                    await listener.execute(f"ALTER TABLE {table} {verb} TRIGGER {trigger}")
                rate = await _round(url, signal if mode == "after_commit" else None)
                rates[mode].append(rate)
        await signal.flushed()
    finally:
        await signal.aclose()
        await pool.close()
        await listener.close()
    return {
        "connections": CONNECTIONS,
        "alerts_per_transaction": BATCH,
        "seconds_per_round": SECONDS,
        "tx_per_s": {mode: [round(r) for r in rates[mode]] for mode in MODES},
        "median_tx_per_s": {mode: round(statistics.median(rates[mode])) for mode in MODES},
        "after_commit_notifications": signal.sent,
        "signals_received": received[0],
    }


def main() -> int:
    with throwaway_database() as url:
        print(json.dumps(asyncio.run(run(url))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
