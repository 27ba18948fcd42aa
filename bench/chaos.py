"""`make chaos`: the fault suite on a stack of its own (issue #12).

A steady stream of alerts goes through the gateway with an ingest key (a sender that, like
Alertmanager, sends an alert again until it is answered 2xx) while each fault happens in turn:
kill -9 of every service (then started again, as a supervisor would), PostgreSQL stopped and
started again, the webhook receiver the on-call person is paged at stopped and started again
(bench/webhook_receiver.py, a real server on loopback checking each page's signature), and a slow
neighbour: incident-management, oncall-escalation and notification each frozen (SIGSTOP) for
CHAOS_FAULT_SECONDS, then continued. Each fault's alerts name services of their own, so every
fault opens new incidents and pages. Per fault it prints what was sent, answered 2xx, stored, linked to an incident and
paged (a page counts once the receiver accepted it, signature checked), the 500s, the start-up time (from the restart until the gateway's readiness, which checks
the database and every service, answers 200: mostly the Python process starting) and the time to
recover after that (until a new alert is answered 2xx, the link backlog is empty and no webhook
page waits for a retry). It fails if an accepted alert is lost, a request got a 500, a page never
reached the receiver, or a recovery took over RECOVERY_BOUND_SECONDS.

    make chaos                       # CHAOS_FAULT_SECONDS=3 CHAOS_RATE=20 by default
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from nightwatch_core.testing.stoppable_postgres import StoppablePostgres

from bench.stack_api import (
    count_total,
    ingest_api_key,
    link_backlog,
    set_up_oncall,
)
from bench.webhook_receiver import WebhookReceiver
from tests.stack_runner import ADMIN, Stack, make_stack, up_on_free_ports
from tools import stack as stack_tool  # the code behind `make up`: starts one process again

ROOT = Path(__file__).resolve().parent.parent

FAULT_SECONDS = float(os.environ.get("CHAOS_FAULT_SECONDS", "3"))
RATE = float(os.environ.get("CHAOS_RATE", "20"))  # alerts a second
SENDERS = 4
RECOVERY_BOUND_SECONDS = 10.0
SERVICES = ("alert-ingestion", "incident-management", "oncall-escalation", "notification")
PAUSED = SERVICES[1:]  # the neighbours behind ingestion: alerts must keep being answered
RECEIVER_FAULT = "stop webhook receiver"
FAULTS = (
    *(f"kill -9 {name}" for name in (*SERVICES, "api-gateway")),
    "stop postgresql",
    RECEIVER_FAULT,
    *(f"pause {name}" for name in PAUSED),
)


@dataclass
class Sender:
    """Alerts through the gateway, each sent again until answered 2xx (bounded per alert)."""

    gateway: str
    key: str
    label: str = "warm-up"
    phase: int = 0  # each fault's alerts name services of their own: new incidents, new pages
    stopped: bool = False
    sequence: int = 0
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    sent: Counter[str] = field(default_factory=Counter)
    accepted: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    last_2xx: float = 0.0

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=SENDERS)
        async with httpx.AsyncClient(base_url=self.gateway, timeout=10, limits=limits) as client:
            await asyncio.gather(*(self._one(client) for _ in range(SENDERS)))

    async def _one(self, client: httpx.AsyncClient) -> None:
        pause = SENDERS / RATE
        while not self.stopped:
            self.sequence += 1
            label, number = self.label, self.sequence
            self.sent[label] += 1
            body = {
                "service": f"chaos-{self.phase}-{number % 7}",
                "severity": ("critical", "high", "medium", "low")[number % 4],
                "message": f"chaos alert {number}",
                "labels": {"fault": label, "team": "chaos"},
            }
            for _ in range(600):  # bounded: a minute of retries per alert
                try:
                    answer = await client.post(
                        "/api/v1/alerts", json=body, headers={"X-API-Key": self.key}
                    )
                    status = str(answer.status_code)
                except httpx.HTTPError as exc:
                    answer, status = None, type(exc).__name__
                self.statuses[label][status] += 1
                if answer is not None and answer.is_success:
                    self.accepted[label].append(answer.json()["alert_id"])
                    self.last_2xx = time.monotonic()
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(pause)


@dataclass
class Outcome:
    fault: str
    start: float | None = None  # restart -> the whole stack ready again (process start-up)
    recovery: float | None = None  # ready -> a new alert answered 2xx and nothing left to link
    stored: int = 0
    linked: int = 0
    paged: int = 0


async def _ready(stack: Stack, since: float) -> float | None:
    """Seconds from `since` until the gateway's readiness (its database and every service's own
    readiness) answers 200."""
    async with httpx.AsyncClient(base_url=stack.urls["api-gateway"], timeout=2) as gateway:
        while time.monotonic() < since + 60:
            with contextlib.suppress(httpx.HTTPError):
                if (await gateway.get("/health/ready")).status_code == 200:
                    return time.monotonic() - since
            await asyncio.sleep(0.1)
    return None


async def _recovered(stack: Stack, sender: Sender, since: float) -> float | None:
    """Seconds from `since` until a new alert was answered 2xx, nothing waits to be linked and no
    webhook page waits for a retry."""
    async with (
        httpx.AsyncClient(base_url=stack.urls["alert-ingestion"], timeout=2) as ingestion,
        httpx.AsyncClient(base_url=stack.urls["notification"], timeout=2) as notification,
    ):
        deadline = since + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, RuntimeError):
                if (
                    sender.last_2xx > since
                    and await link_backlog(ingestion) == 0
                    and await _webhook_pages(notification, status="pending") == 0
                ):
                    return time.monotonic() - since
            await asyncio.sleep(0.1)
    return None


async def _webhook_pages(notification: httpx.AsyncClient, **filters: str) -> int:
    return await count_total(notification, "/api/v1/notifications", channel="webhook", **filters)


async def _inflict(
    fault: str, stack: Stack, tool: Any, postgres: StoppablePostgres, receiver: WebhookReceiver
) -> None:
    if fault == "stop postgresql":
        postgres.stop()
        await asyncio.sleep(FAULT_SECONDS)
        await asyncio.to_thread(postgres.start)
        return
    if fault == RECEIVER_FAULT:
        await receiver.stop()
        await asyncio.sleep(FAULT_SECONDS)
        await receiver.start()
        return
    if fault.startswith("pause "):
        # A neighbour that stops answering without closing anything (a stall, a GC pause, an
        # overloaded host): its connections stay open and silent until it continues.
        pid = stack.pids()[fault.removeprefix("pause ")]
        os.killpg(pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(FAULT_SECONDS)
        finally:
            os.killpg(pid, signal.SIGCONT)
        return
    name = fault.removeprefix("kill -9 ")
    pid = stack.pids()[name]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    await asyncio.sleep(FAULT_SECONDS)
    config = tool.StackConfig.from_env()
    database_url = tool.resolve_database_url(config)
    [process] = [p for p in tool.service_processes(config, database_url) if p.name == name]
    tool.start(config, process)


async def _verify(
    stack: Stack, sender: Sender, outcomes: dict[str, Outcome], receiver: WebhookReceiver
) -> None:
    """Each accepted alert: stored? on an incident? did the receiver accept that incident's page?"""
    async with (
        httpx.AsyncClient(base_url=stack.urls["alert-ingestion"], timeout=10) as ingestion,
        httpx.AsyncClient(base_url=stack.urls["notification"], timeout=10) as notification,
    ):
        paged: dict[str, bool] = {}
        for label, ids in sender.accepted.items():
            outcome = outcomes.setdefault(label, Outcome(label))
            for alert_id in ids:
                answer = await ingestion.get(f"/api/v1/alerts/{alert_id}")
                if answer.status_code != 200:
                    continue
                outcome.stored += 1
                incident = answer.json().get("incident_id")
                if not incident:
                    continue
                outcome.linked += 1
                if incident not in paged:
                    pages = await notification.get(
                        "/api/v1/notifications",
                        params={"incident_id": incident, "channel": "webhook"},
                    )
                    paged[incident] = pages.status_code == 200 and any(
                        page["status"] == "delivered" and page["id"] in receiver.received
                        for page in pages.json()["items"]
                    )
                outcome.paged += paged[incident]


async def run(stack: Stack, tool: Any, receiver: WebhookReceiver) -> int:
    postgres = StoppablePostgres(stack.state_dir / "pgdata")
    await set_up_oncall(stack.urls["oncall-escalation"], "chaos", webhook=receiver.url)
    key = await ingest_api_key(stack.urls["api-gateway"], *ADMIN)
    sender = Sender(stack.urls["api-gateway"], key)
    sending = asyncio.create_task(sender.run())
    outcomes: dict[str, Outcome] = {}
    try:
        await asyncio.sleep(2)
        for phase, fault in enumerate(FAULTS, start=1):
            sender.label, sender.phase = fault, phase
            print(f"fault: {fault}", flush=True)
            await _inflict(fault, stack, tool, postgres, receiver)
            restarted = time.monotonic()
            outcome = outcomes[fault] = Outcome(fault, await _ready(stack, restarted))
            if outcome.start is not None:
                outcome.recovery = await _recovered(stack, sender, restarted + outcome.start)
            await asyncio.sleep(1)
        sender.label, sender.phase = "after", len(FAULTS) + 1
        await asyncio.sleep(2)
    finally:
        sender.stopped = True
        await sending
    await asyncio.sleep(5)  # the last pages: the escalation's first step and the outbox
    await _verify(stack, sender, outcomes, receiver)
    async with httpx.AsyncClient(base_url=stack.urls["notification"], timeout=10) as notification:
        undelivered = await _webhook_pages(notification) - await _webhook_pages(
            notification, status="delivered"
        )
    return _report(sender, outcomes, receiver, undelivered)


def _report(
    sender: Sender, outcomes: dict[str, Outcome], receiver: WebhookReceiver, undelivered: int
) -> int:
    failures = []
    print(
        f"\n{'fault':<30} {'sent':>5} {'2xx':>5} {'stored':>6} {'linked':>6} {'paged':>6} "
        f"{'500s':>4} {'start':>7} {'recovery':>9}  other answers while down"
    )
    for label, outcome in outcomes.items():
        statuses = sender.statuses[label]
        accepted = len(sender.accepted[label])
        fives = statuses["500"]
        others = {s: n for s, n in statuses.items() if s not in ("200", "201", "202", "500")}
        recovery = "-" if outcome.recovery is None else f"{outcome.recovery:.1f} s"
        start = "-" if outcome.start is None else f"{outcome.start:.1f} s"
        print(
            f"{label:<30} {sender.sent[label]:>5} {accepted:>5} {outcome.stored:>6} "
            f"{outcome.linked:>6} {outcome.paged:>6} {fives:>4} {start:>7} {recovery:>9}  "
            f"{others or ''}"
        )
        if outcome.stored < accepted:
            failures.append(f"{label}: {accepted - outcome.stored} accepted alerts lost")
        if fives:
            failures.append(f"{label}: {fives} answers were 500")
        if label in FAULTS and (
            outcome.recovery is None or outcome.recovery > RECOVERY_BOUND_SECONDS
        ):
            failures.append(f"{label}: recovery {recovery} (bound {RECOVERY_BOUND_SECONDS:g} s)")
    print(
        f"\nwebhook receiver: {len(receiver.received)} pages accepted "
        f"({sum(receiver.received.values())} deliveries, at-least-once), "
        f"{receiver.bad_signatures} badly signed; {undelivered} pages not delivered"
    )
    if undelivered or receiver.bad_signatures:
        failures.append(
            f"{undelivered} pages not delivered, {receiver.bad_signatures} badly signed"
        )
    print("\n" + ("\n".join(f"FAIL {f}" for f in failures) if failures else "chaos: all held"))
    return 1 if failures else 0


async def _with_receiver(stack: Stack) -> int:
    receiver = WebhookReceiver(os.environ["WEBHOOK_SECRET"])
    await receiver.start()
    try:
        return await run(stack, stack_tool, receiver)
    finally:
        await receiver.stop()


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(143)))
    state_root = Path(tempfile.mkdtemp(prefix="nw-chaos-"))
    try:
        # No DATABASE_URL: the stack's own embedded PostgreSQL, which the suite may stop.
        os.environ.pop("DATABASE_URL", None)
        # The webhook channel, allowed to reach the receiver on loopback (set in this process's
        # environment, so a notification service started again after its kill has it too).
        os.environ["WEBHOOK_SECRET"] = secrets.token_urlsafe(24)
        os.environ["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1"
        stack = up_on_free_ports(
            lambda: make_stack(Path(tempfile.mkdtemp(dir=state_root)), database_url=None)
        )
        try:
            # What tools/stack.py reads, to start a killed process again on this stack.
            os.environ["STACK_DIR"] = str(stack.state_dir)
            os.environ["STACK_PORT_OFFSET"] = stack.env["STACK_PORT_OFFSET"]
            return asyncio.run(_with_receiver(stack))
        finally:
            stack.down()
    finally:
        shutil.rmtree(state_root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
