"""What the stack bench asks the running stack, through public APIs only (/api/v1 and /metrics):
set-up (on-call, an ingest API key), counts of incidents and pages, the link backlog, and each
pending alert's link lag. Nothing here knows how the services talk to each other."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families

from tests.stack_runner import always_on_call_schedule

BACKLOG_GAUGE = "alerts_link_backlog"  # alerts accepted, not yet on their incident
POLL_SECONDS = 0.1
POLL_CONNECTIONS = 8  # concurrent GETs of pending alerts: light next to the load itself


def _ok(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in (statuses or (200,)):
        raise RuntimeError(
            f"{response.request.method} {response.request.url} -> "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response.json()


async def set_up_oncall(oncall_url: str, team: str, *, webhook: str | None = None) -> str:
    """A user on call around the clock for ``team`` (no policy: level 1 pages the on-call), paged
    at ``webhook`` too when given. Returns the address the pages go to, so they can be counted
    by recipient."""
    email = f"{team}@bench.example.com"
    person: dict[str, Any] = {"name": team, "email": email}
    if webhook is not None:
        person["contact_methods"] = [{"type": "webhook", "address": webhook}]
    async with httpx.AsyncClient(base_url=oncall_url, timeout=15) as oncall:
        user = _ok(await oncall.post("/api/v1/users", json=person), 201)
        _ok(
            await oncall.post(
                "/api/v1/teams", json={"name": team, "members": [{"user_id": user["id"]}]}
            ),
            201,
        )
        schedule = always_on_call_schedule(name=f"{team}-primary", team=team, user_id=user["id"])
        _ok(await oncall.post("/api/v1/schedules", json=schedule), 201)
        current = _ok(await oncall.get("/api/v1/oncall/current", params={"team": team}))
        if user["id"] not in str(current):
            raise RuntimeError(f"{team}: the user is not on call: {current}")
    return email


async def admin_headers(gateway: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Log in as the admin (changing a first-start password if the gateway asks for it)."""
    login = _ok(
        await gateway.post("/api/v1/auth/login", json={"username": username, "password": password})
    )
    if login["user"]["must_change_password"]:
        # A throwaway database: the new password dies with it.
        new_password = secrets.token_urlsafe(18)
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        change = {"current_password": password, "new_password": new_password}
        response = await gateway.post("/api/v1/auth/change-password", json=change, headers=headers)
        if response.status_code not in (200, 204):
            raise RuntimeError(f"change-password -> {response.status_code}: {response.text}")
        login = _ok(
            await gateway.post(
                "/api/v1/auth/login", json={"username": username, "password": new_password}
            )
        )
    return {"Authorization": f"Bearer {login['access_token']}"}


async def create_api_key(
    gateway: httpx.AsyncClient, headers: dict[str, str], name: str, **fields: Any
) -> str:
    """A new API key (`role`, `permissions` as the gateway takes them); returns the secret."""
    key = _ok(
        await gateway.post("/api/v1/api-keys", json={"name": name, **fields}, headers=headers), 201
    )
    return str(key["key"])


async def ingest_api_key(gateway_url: str, username: str, password: str) -> str:
    """Log in as the admin and create an API key with the `ingest` permission; return the key."""
    async with httpx.AsyncClient(base_url=gateway_url, timeout=15) as gateway:
        headers = await admin_headers(gateway, username, password)
        return await create_api_key(gateway, headers, "stack-bench", permissions=["ingest"])


async def add_routing_rules(
    ingestion_url: str, *, count: int, team: str, service_of: Callable[[int], str]
) -> None:
    """``count`` routing rules (ROUTING_RULES, docs/routing.md), as a large installation has them:
    three in four match one service by name (looked up by the rules' index), set the team and add
    a label; one in four is a regex that matches no alert, so every alert is tried against it."""
    async with httpx.AsyncClient(base_url=ingestion_url, timeout=15) as ingestion:
        for i in range(count):
            if i % 4 == 3:
                rule = {"matchers": [f'service=~"legacy-{i}-.*"'], "add_labels": {"legacy": "1"}}
            else:
                rule = {
                    "matchers": [f'service="{service_of(i)}"', 'env!="staging"'],
                    "set_team": team,
                    "add_labels": {"routed_by": f"rule-{i}"},
                }
            _ok(
                await ingestion.post("/api/v1/routing-rules", json={"name": f"bench {i}", **rule}),
                201,
            )


async def count_total(client: httpx.AsyncClient, path: str, **filters: str) -> int:
    """A listing's `total` for the filters (one row fetched)."""
    return int(_ok(await client.get(path, params={**filters, "limit": 1}))["total"])


async def link_backlog(ingestion: httpx.AsyncClient) -> float | None:
    """ingestion's `alerts_link_backlog` gauge; None while the service does not export it."""
    text = (await ingestion.get("/metrics")).text
    if BACKLOG_GAUGE not in text:
        return None
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == BACKLOG_GAUGE
    )


@dataclass
class LinkTracker:
    """Link lag of every accepted alert: 0 when the answer carried its incident (`linked`), else
    the time from the answer until GET /api/v1/alerts/{id} shows an incident_id (polled)."""

    max_tracked: int  # pending alerts polled at most (bounded work); more are only counted
    linked_when_answered: int = 0
    pending_since: dict[str, float] = field(default_factory=dict)  # alert id -> answered at
    lags: list[float] = field(default_factory=list)
    untracked: int = 0

    def on_answer(self, status: int, body: bytes, answered_at: float) -> None:
        if status not in (201, 202):
            return
        if b'"pending"' not in body:  # a single alert answered `linked`: no parse needed
            self.linked_when_answered += 1
            return
        answer = orjson.loads(body)
        for alert in answer.get("results", [answer]):
            if alert["link_status"] == "linked" and alert["incident_id"]:
                self.linked_when_answered += 1
            elif len(self.pending_since) + len(self.lags) < self.max_tracked:
                self.pending_since[alert["alert_id"]] = answered_at
            else:
                self.untracked += 1

    @property
    def accepted(self) -> int:
        return self.linked_when_answered + len(self.lags) + len(self.pending_since) + self.untracked

    async def _check(self, ingestion: httpx.AsyncClient, alert_id: str) -> None:
        with contextlib.suppress(httpx.HTTPError):
            response = await ingestion.get(f"/api/v1/alerts/{alert_id}")
            if response.status_code == 200 and response.json()["incident_id"]:
                seen_at = time.perf_counter()
                answered_at = self.pending_since.pop(alert_id, None)
                if answered_at is not None:
                    self.lags.append(seen_at - answered_at)

    async def poll(
        self, ingestion: httpx.AsyncClient, stop: asyncio.Event, deadline: float
    ) -> None:
        """Poll pending alerts until ``stop`` is set and none is left, or until ``deadline``."""
        while time.monotonic() < deadline and not (stop.is_set() and not self.pending_since):
            waiting = list(self.pending_since)[: POLL_CONNECTIONS * 8]
            for start in range(0, len(waiting), POLL_CONNECTIONS):
                chunk = waiting[start : start + POLL_CONNECTIONS]
                await asyncio.gather(*(self._check(ingestion, alert_id) for alert_id in chunk))
            await asyncio.sleep(POLL_SECONDS)
