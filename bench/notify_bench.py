"""Notification throughput: accepted/s and delivered/s through the outbox (`make bench-notify`).

Starts its own stack with `make up` on free ports and a throwaway database (never the fixed ports)
and a local webhook receiver on a free loopback port. For each channel (mock, then webhook to the
local receiver) it sends BENCH_NOTIFICATIONS notifications with BENCH_CONCURRENCY clients straight to
the notification service, then waits until none is pending. Reported: accept rate and latency of
`POST /api/v1/notify` (202), end-to-end delivered/s (first request to last delivery), and for the
webhook that every notification reached the receiver exactly once with a valid signature.

    make bench-notify
    BENCH_NOTIFICATIONS=2000 BENCH_CONCURRENCY=50 make bench-notify
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from nightwatch_core.testing.databases import create_database, drop_database, server_url

from bench.stack_stats import percentile
from tests.stack_runner import make_stack

ROOT = Path(__file__).resolve().parent.parent
NOTIFICATIONS = int(os.environ.get("BENCH_NOTIFICATIONS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "25"))
DRAIN_TIMEOUT = float(os.environ.get("BENCH_DRAIN_TIMEOUT", "300"))
SECRET = "bench-webhook-secret"
transport_retries = 0


class BurstServer(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 refuses bursts of concurrent deliveries
    daemon_threads = True


class Receiver:
    """Counts webhook deliveries by notification id and checks every signature."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.bad_signatures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                with receiver._lock:
                    receiver.deliveries[self.headers["X-Nightwatch-Notification-Id"]] += 1
                    receiver.bad_signatures += self.headers["X-Nightwatch-Signature"] != expected
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = BurstServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def post_with_retries(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> httpx.Response | None:
    """A dropped connection is retried with the same idempotency key: never a second notification."""
    global transport_retries
    for _ in range(5):
        try:
            return await client.post("/api/v1/notify", json=body)
        except httpx.TransportError:
            transport_retries += 1
    return None


async def run_channel(base_url: str, channel: str, recipient: str) -> dict[str, Any]:
    incident = str(uuid.uuid4())  # groups this round's notifications for the counts
    latencies: list[float] = []
    ids: list[str] = []
    errors = 0
    remaining = iter(range(NOTIFICATIONS))
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:

        async def sender() -> None:
            nonlocal errors
            for n in remaining:
                body = {
                    "recipient": recipient,
                    "channel": channel,
                    "subject": f"bench {n}",
                    "message": "notification throughput bench",
                    "incident_id": incident,
                    "idempotency_key": f"bench:{incident}:{n}",
                }
                started = time.perf_counter()
                response = await post_with_retries(client, body)
                latencies.append(time.perf_counter() - started)
                if response is not None and response.status_code == 202:
                    ids.append(response.json()["id"])
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
        accepted_seconds = time.perf_counter() - started
        params = {"incident_id": incident, "status": "pending", "limit": 1}
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while time.monotonic() < deadline:
            if (await client.get("/api/v1/notifications", params=params)).json()["total"] == 0:
                break
            await asyncio.sleep(0.05)
        delivered_seconds = time.perf_counter() - started
        counts = {
            status: (
                await client.get(
                    "/api/v1/notifications",
                    params={"incident_id": incident, "status": status, "limit": 1},
                )
            ).json()["total"]
            for status in ("pending", "delivered", "failed")
        }
    return {
        "channel": channel,
        "notifications": NOTIFICATIONS,
        "concurrency": CONCURRENCY,
        "accept_errors": errors,
        "accepted_per_s": round(NOTIFICATIONS / accepted_seconds, 1),
        "accept_p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "accept_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "delivered_per_s": round(counts["delivered"] / delivered_seconds, 1),
        "counts": counts,
        "client_transport_retries": transport_retries,
        "ids": ids,
    }


async def main() -> int:
    database_root = server_url(ROOT)
    database_url = await create_database(database_root, repo_root=ROOT, prefix="nw_bench")
    receiver = Receiver()
    stack = make_stack(
        Path(tempfile.mkdtemp(prefix="nw-notify-bench-")),
        database_url=database_url,
        WEBHOOK_SECRET=SECRET,
        ACCESS_LOG=os.environ.get("BENCH_ACCESS_LOG", "false"),
    )
    try:
        stack.up()
        notification = stack.urls["notification"]
        results = [
            await run_channel(notification, "mock", "bench-oncall"),
            await run_channel(notification, "webhook", receiver.url),
        ]
    finally:
        stack.down()
        receiver.close()
        await drop_database(database_root, database_url)
    webhook_ids = results[1].pop("ids")
    results[0].pop("ids")
    results[1]["receiver_deliveries"] = sum(receiver.deliveries.values())
    results[1]["delivered_more_than_once"] = sum(1 for c in receiver.deliveries.values() if c > 1)
    results[1]["never_received"] = len(set(webhook_ids) - set(receiver.deliveries))
    results[1]["bad_signatures"] = receiver.bad_signatures
    print(json.dumps(results, indent=2))
    for r in results:
        print(
            f"{r['channel']}: accepted {r['accepted_per_s']}/s (p99 {r['accept_p99_ms']} ms), "
            f"delivered {r['delivered_per_s']}/s end to end, {r['counts']}"
        )
    ok = all(r["accept_errors"] == 0 and r["counts"]["delivered"] == NOTIFICATIONS for r in results)
    ok = ok and results[1]["delivered_more_than_once"] == 0 and results[1]["never_received"] == 0
    return 0 if ok and results[1]["bad_signatures"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
