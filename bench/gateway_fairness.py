"""One credential cannot take the gateway from the others (issue #12): `make bench-fairness`.

On a stack of its own (`make up` on free ports, a throwaway database), other callers measure
their latency through the gateway while nobody else is there (idle), then while one API key
attacks from another address (attack), in alternating phases:

- others: a viewer key reading `GET /api/v1/incidents?limit=20` and an ingest key posting alerts
  (`POST /api/v1/alerts`), each from OTHERS_LOOPS loops at a steady pace, from 127.0.0.1;
- the attacker (one key with the viewer role and the `ingest` permission, from 127.0.0.3):
  SLOW_BODIES connections each announcing a 1,000-byte alert and sending one byte a second
  (opened again at once whenever the gateway answers or closes one), and FLOOD_LOOPS loops
  sending reads back to back, as fast as the answers come.

It prints, per phase, the others' requests, errors and p50/p99, the attacker's answers by status
and code, and the verdict: the others' p99 under attack against 2x their idle p99 (the issue's
figure). Exit 1 if an attack phase's p99 is above that, or the others got any error.

    make bench-fairness                 # BENCH_PHASE_SECONDS=15 BENCH_ROUNDS=2
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from bench.stack_api import admin_headers, create_api_key
from bench.stack_harness import running_stack, throwaway_database
from bench.stack_stats import percentile
from tests.stack_runner import ADMIN, Stack

ROOT = Path(__file__).resolve().parent.parent

PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "15"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
OTHERS_LOOPS = 2  # per other caller
OTHERS_PAUSE = 0.2  # seconds between one loop's requests: ~20 requests/s from the others
SLOW_BODIES = int(os.environ.get("BENCH_SLOW_BODIES", "205"))
FLOOD_LOOPS = int(os.environ.get("BENCH_FLOOD_LOOPS", "100"))
ATTACKER_ADDRESS = "127.0.0.3"
BOUND = 2.0  # the others' p99 under attack may be at most this many times their idle p99


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    attacker: Counter[str] = field(default_factory=Counter)
    load_cpu: float = 0.0  # CPU seconds of this load generator (it shares the machine)
    gateway_cpu: float = 0.0  # CPU seconds of the gateway process

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


async def _other(client: httpx.AsyncClient, phase: Phase, until: float, alert: bool) -> None:
    number = 0
    while time.monotonic() < until:
        number += 1
        started = time.perf_counter()
        try:
            if alert:
                body = {"service": f"fair-{number % 5}", "severity": "low", "message": "fair"}
                answer = await client.post("/api/v1/alerts", json=body)
            else:
                answer = await client.get("/api/v1/incidents", params={"limit": 20})
            status = str(answer.status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        if status.startswith("2"):
            phase.latencies.append(time.perf_counter() - started)
        else:
            phase.errors[status] += 1
        await asyncio.sleep(OTHERS_PAUSE)


async def _slow_body(host: str, port: int, key: str, phase: Phase, until: float) -> None:
    """One connection after another, each announcing a body it sends a byte a second."""
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection(
                host, port, local_addr=(ATTACKER_ADDRESS, 0)
            )
        except OSError:
            phase.attacker["connect-error"] += 1
            await asyncio.sleep(0.1)
            continue
        try:
            writer.write(
                b"POST /api/v1/alerts HTTP/1.1\r\nHost: gateway\r\n"
                + f"X-API-Key: {key}\r\nContent-Type: application/json\r\n".encode()
                + b"Content-Length: 1000\r\n\r\n{"
            )
            while time.monotonic() < until:
                with contextlib.suppress(TimeoutError):
                    line = await asyncio.wait_for(reader.readline(), timeout=1)
                    phase.attacker[f"slow {line.split()[1].decode() if line else 'closed'}"] += 1
                    break
                writer.write(b" ")
                await writer.drain()
        except (ConnectionError, IndexError):
            phase.attacker["slow reset"] += 1
        finally:
            writer.close()


async def _flood(client: httpx.AsyncClient, phase: Phase, until: float) -> None:
    while time.monotonic() < until:
        try:
            answer = await client.get("/api/v1/incidents", params={"limit": 50})
            code = (
                answer.json().get("error", {}).get("code", "") if answer.status_code >= 400 else ""
            )
            phase.attacker[f"flood {answer.status_code} {code}".strip()] += 1
        except (httpx.HTTPError, ValueError) as exc:
            phase.attacker[f"flood {type(exc).__name__}"] += 1


async def _phase(stack: Stack, keys: dict[str, str], name: str, attack: bool) -> Phase:
    phase = Phase(name)
    gateway = stack.urls["api-gateway"]
    host, port = gateway.removeprefix("http://").split(":")
    until = time.monotonic() + PHASE_SECONDS
    cpu_before = time.process_time()
    gateway_process = psutil.Process(stack.pids()["api-gateway"])
    gateway_before = sum(gateway_process.cpu_times()[:2])
    attacker_transport = httpx.AsyncHTTPTransport(local_address=ATTACKER_ADDRESS)
    async with (
        httpx.AsyncClient(
            base_url=gateway, headers={"X-API-Key": keys["reader"]}, timeout=30
        ) as reader,
        httpx.AsyncClient(
            base_url=gateway, headers={"X-API-Key": keys["sender"]}, timeout=30
        ) as sender,
        httpx.AsyncClient(
            base_url=gateway,
            headers={"X-API-Key": keys["attacker"]},
            transport=attacker_transport,
            timeout=30,
            limits=httpx.Limits(max_connections=FLOOD_LOOPS),
        ) as flood,
    ):
        work = [_other(reader, phase, until, alert=False) for _ in range(OTHERS_LOOPS)]
        work += [_other(sender, phase, until, alert=True) for _ in range(OTHERS_LOOPS)]
        if attack:
            work += [
                _slow_body(host, int(port), keys["attacker"], phase, until)
                for _ in range(SLOW_BODIES)
            ]
            work += [_flood(flood, phase, until) for _ in range(FLOOD_LOOPS)]
        await asyncio.gather(*work)
    phase.load_cpu = time.process_time() - cpu_before
    phase.gateway_cpu = sum(gateway_process.cpu_times()[:2]) - gateway_before
    return phase


async def run(stack: Stack) -> int:
    async with httpx.AsyncClient(base_url=stack.urls["api-gateway"], timeout=15) as gateway:
        admin = await admin_headers(gateway, *ADMIN)
        keys = {
            "reader": await create_api_key(gateway, admin, "fair-reader", role="viewer"),
            "sender": await create_api_key(gateway, admin, "fair-sender", permissions=["ingest"]),
            "attacker": await create_api_key(
                gateway, admin, "attacker", role="viewer", permissions=["ingest"]
            ),
        }
    await _phase(stack, keys, "warm-up", attack=False)
    phases = []
    for round_number in range(1, ROUNDS + 1):
        for attack in (False, True):
            name = f"{'attack' if attack else 'idle'} {round_number}"
            print(f"phase: {name}", flush=True)
            phases.append(await _phase(stack, keys, name, attack))
            await asyncio.sleep(2)  # the attack's connections drain before the next phase
    return _report(phases)


def _report(phases: list[Phase]) -> int:
    print(f"\nload average at the end: {os.getloadavg()}  (2-core machine; shared if above ~2)")
    print(f"slow bodies {SLOW_BODIES}, flood loops {FLOOD_LOOPS}, phases of {PHASE_SECONDS:g} s")
    print(
        f"\n{'phase':<10} {'others ok':>9} {'errors':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'load CPU':>8} {'gw CPU':>6}  attacker's answers"
    )
    for phase in phases:
        attacker = dict(phase.attacker.most_common()) or ""
        print(
            f"{phase.name:<10} {len(phase.latencies):>9} {sum(phase.errors.values()):>7} "
            f"{phase.p(0.5):>7.1f} {phase.p(0.99):>7.1f} {phase.load_cpu / PHASE_SECONDS:>8.0%} "
            f"{phase.gateway_cpu / PHASE_SECONDS:>6.0%}  "
            f"{attacker}"
        )
    idle = [p for p in phases if p.name.startswith("idle")]
    attacked = [p for p in phases if p.name.startswith("attack")]
    idle_p99 = percentile([x for p in idle for x in p.latencies], 0.99) * 1000
    attack_p99 = percentile([x for p in attacked for x in p.latencies], 0.99) * 1000
    ratio = attack_p99 / idle_p99 if idle_p99 else float("inf")
    errors = sum(sum(p.errors.values()) for p in phases)
    print(
        f"\nothers' p99: idle {idle_p99:.1f} ms, under attack {attack_p99:.1f} ms: "
        f"{ratio:.2f}x (bound {BOUND:g}x); errors for the others: {errors}"
    )
    failed = ratio > BOUND or errors > 0
    print("fairness: " + ("NOT held" if failed else "held"))
    return 1 if failed else 0


def main() -> int:
    with throwaway_database() as database_url, running_stack(database_url) as stack:
        return asyncio.run(run(stack))


if __name__ == "__main__":
    raise SystemExit(main())
