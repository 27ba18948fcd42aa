"""Two replicas of every Python service (`make up REPLICAS=2`, nginx in front, one PostgreSQL),
under a bounded burst on loopback (issue #17):

- every alert sent twice at once (the copies reach different replicas): one incident each;
- half the incidents acknowledged twice at once: one acknowledgement wins, the other gets 409;
- the other half's level-2 escalation made due for both on-call replicas' workers at once;
- then: no duplicate incident, escalation step, page or notification;
- a read limit of N through the two gateway replicas (Redis) lets exactly N through;
- a key revoked through the gateway is refused by both gateway replicas, each asked directly.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from nightwatch_core.testing.databases import create_database, drop_database

from tests.stack_runner import ADMIN, Stack, make_stack, up_on_free_ports
from tools import rolling_restart
from tools.replicas import replica_port
from tools.stack import StackConfig

T = TypeVar("T")
INCIDENTS = 40
READ_LIMIT = 15
# How long the asynchronous parts (escalation start, a due step, a page) may take on a loaded
# 2-core machine before the test calls it a failure.
BOUND_SECONDS = 90.0


@pytest.fixture(scope="module")
def replicated(
    pg_server_url: str, repo_root: Path, tmp_path_factory: Any
) -> Iterator[tuple[Stack, str]]:
    database = asyncio.run(create_database(pg_server_url, repo_root=repo_root, prefix="nw_rep"))
    stack = up_on_free_ports(
        lambda: make_stack(
            tmp_path_factory.mktemp("replicas"),
            database_url=database,
            REPLICAS="2",
            RATE_LIMIT_STORAGE_URL="redis://127.0.0.1:6379",
            RATE_LIMIT_READ=f"{READ_LIMIT}/minute",
            # Without the announcement a revoked key would live this long in a replica's cache.
            CREDENTIAL_CACHE_SECONDS="300",
        )
    )
    try:
        yield stack, database
    finally:
        stack.down()
        asyncio.run(drop_database(pg_server_url, database))


def _query(database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(database)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def _within_bound(probe: Callable[[], T | None], what: str) -> T:
    deadline = time.monotonic() + BOUND_SECONDS
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"not within {BOUND_SECONDS:.0f} s: {what}")


def _ok(response: httpx.Response, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200,)), response.text
    return response.json()


def _set_up_escalation(oncall: httpx.Client, team: str) -> None:
    """Two people; level 1 pages the first, level 2 (after an hour) the second."""
    people = [
        _ok(
            oncall.post(
                "/api/v1/users", json={"name": f"{n} {team}", "email": f"{n}-{team}@example.com"}
            ),
            201,
        )
        for n in ("alice", "bob")
    ]
    _ok(oncall.post("/api/v1/teams", json={"name": team, "members": []}), 201)
    levels = [{"targets": [{"type": "user", "id": p["id"]}], "delay_minutes": 60} for p in people]
    body = {"team": team, "name": team, "levels": levels}
    _ok(oncall.post("/api/v1/escalation-policies", json=body), 201)


def test_two_replicas_of_everything_under_load_make_no_duplicates(
    replicated: tuple[Stack, str],
) -> None:
    stack, database = replicated
    suffix = uuid.uuid4().hex[:8]
    team = f"rep-{suffix}"
    urls = stack.urls
    with (
        httpx.Client(base_url=urls["oncall-escalation"], timeout=30) as oncall,
        httpx.Client(base_url=urls["alert-ingestion"], timeout=30) as ingestion,
        httpx.Client(base_url=urls["incident-management"], timeout=30) as incidents,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        _set_up_escalation(oncall, team)
        alerts = [
            {"service": f"{team}-{i}", "severity": "high", "message": "error rate > 10%",
             "labels": {"team": team}}
            for i in range(INCIDENTS)
        ]  # fmt: skip
        # Each alert twice at the same moment: round robin sends the copies to both replicas.
        answers = list(
            pool.map(lambda a: _ok(ingestion.post("/api/v1/alerts", json=a), 201), alerts + alerts)
        )
        by_service: dict[str, set[str]] = {}
        for alert, answer in zip(alerts + alerts, answers, strict=True):
            by_service.setdefault(alert["service"], set()).add(answer["incident_id"])
        assert all(len(ids) == 1 for ids in by_service.values()), by_service
        incident_ids = [next(iter(by_service[a["service"]])) for a in alerts]
        rows = _query(
            database,
            "SELECT service, count(*) AS n FROM incidents.incidents WHERE team = $1 GROUP BY service",
            team,
        )
        assert {r["service"]: r["n"] for r in rows} == {a["service"]: 1 for a in alerts}

        # Level 1 paged for every incident (the start crosses services through a durable job).
        def level_one_everywhere() -> bool:
            paged = _query(
                database,
                "SELECT count(*) AS n FROM oncall.escalations WHERE team = $1 AND steps_taken >= 1",
                team,
            )
            return paged[0]["n"] == INCIDENTS

        _within_bound(level_one_everywhere, "level 1 paged for every incident")

        # Half acknowledged, each twice at once: exactly one acknowledgement wins.
        acked, unacked = incident_ids[::2], incident_ids[1::2]
        headers = {"X-Actor": f"alice {team}", **stack.service_headers()}

        def acknowledge(incident_id: str) -> int:
            return incidents.patch(
                f"/api/v1/incidents/{incident_id}",
                json={"status": "acknowledged"},
                headers=headers,
            ).status_code

        statuses = list(pool.map(acknowledge, acked + acked))
        for incident_id in acked:
            pair = [s for i, s in zip(acked + acked, statuses, strict=True) if i == incident_id]
            assert sorted(pair) == [200, 409], (incident_id, pair)

        # The others' level 2 due now, for both on-call replicas' workers at once.
        _query(
            database,
            "UPDATE oncall.escalations SET next_step_at = now()"
            " WHERE team = $1 AND status = 'active'",
            team,
        )

        def level_two_everywhere() -> bool:
            done = _query(
                database,
                "SELECT count(*) AS n FROM oncall.escalations WHERE team = $1 AND steps_taken = 2",
                team,
            )
            return done[0]["n"] == len(unacked)

        _within_bound(level_two_everywhere, "level 2 paged for every unacknowledged incident")

        def every_page_notified() -> bool:
            pending = _query(
                database,
                "SELECT count(*) AS n FROM oncall.escalation_pages p"
                " JOIN oncall.escalations e USING (incident_id)"
                " WHERE e.team = $1 AND p.notification_id IS NULL",
                team,
            )
            return pending[0]["n"] == 0

        _within_bound(every_page_notified, "every page handed to the notification service")

    steps = _query(
        database,
        "SELECT e.incident_id, e.steps_taken, e.status FROM oncall.escalations e WHERE e.team = $1",
        team,
    )
    assert {str(r["incident_id"]): r["steps_taken"] for r in steps} == {
        **{i: 1 for i in acked},
        **{i: 2 for i in unacked},
    }
    duplicate_pages = _query(
        database,
        "SELECT p.incident_id, p.level, p.round, p.user_id, p.channel, count(*) AS n"
        " FROM oncall.escalation_pages p JOIN oncall.escalations e USING (incident_id)"
        " WHERE e.team = $1 GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1",
        team,
    )
    assert duplicate_pages == []
    pages = _query(
        database,
        "SELECT p.idempotency_key FROM oncall.escalation_pages p"
        " JOIN oncall.escalations e USING (incident_id) WHERE e.team = $1",
        team,
    )
    assert len(pages) == len(acked) + 2 * len(unacked)
    notifications = _query(
        database,
        "SELECT idempotency_key, count(*) AS n FROM notification.notifications"
        " WHERE incident_id = ANY($1::uuid[]) GROUP BY 1",
        incident_ids,
    )
    # One notification per page, none without a page and none twice.
    assert {r["idempotency_key"]: r["n"] for r in notifications} == {
        p["idempotency_key"]: 1 for p in pages
    }


def _gateway_replica(stack: Stack, replica: int) -> str:
    port = int(stack.urls["api-gateway"].rsplit(":", 1)[1])
    return f"http://127.0.0.1:{replica_port(port, replica)}"


def _admin(gateway: httpx.Client) -> dict[str, str]:
    token = _ok(
        gateway.post(
            "/api/v1/auth/login", json=dict(zip(("username", "password"), ADMIN, strict=True))
        )
    )
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_a_read_limit_of_n_is_n_across_both_gateway_replicas(
    replicated: tuple[Stack, str],
) -> None:
    stack, _ = replicated
    with httpx.Client(base_url=stack.urls["api-gateway"], timeout=30) as gateway:
        created = _ok(
            gateway.post(
                "/api/v1/api-keys",
                json={"name": f"reader-{uuid.uuid4().hex[:6]}", "role": "viewer"},
                headers=_admin(gateway),
            ),
            201,
        )
        key = {"X-API-Key": created["key"]}
        statuses = [
            gateway.get("/api/v1/incidents", params={"limit": 1}, headers=key).status_code
            for _ in range(READ_LIMIT + 5)
        ]
    assert statuses == [200] * READ_LIMIT + [429] * 5
    # Both replicas served some of them (nginx's round robin), each counting in the same Redis.
    for replica in (1, 2):
        with httpx.Client(base_url=_gateway_replica(stack, replica), timeout=10) as direct:
            assert 'route_class="read"' in direct.get("/metrics").text


def _heard(base_url: str) -> float:
    with httpx.Client(base_url=base_url, timeout=10) as direct:
        for line in direct.get("/metrics").text.splitlines():
            if line.startswith("gateway_credential_changes_heard_total "):
                return float(line.split()[1])
    return 0.0


def test_a_revoked_key_is_refused_by_every_gateway_replica(replicated: tuple[Stack, str]) -> None:
    stack, _ = replicated
    replicas = [_gateway_replica(stack, k) for k in (1, 2)]
    with httpx.Client(base_url=stack.urls["api-gateway"], timeout=30) as gateway:
        admin = _admin(gateway)
        created = _ok(
            gateway.post(
                "/api/v1/api-keys",
                json={"name": f"ingest-{uuid.uuid4().hex[:6]}", "permissions": ["ingest"]},
                headers=admin,
            ),
            201,
        )
        key = {"X-API-Key": created["key"]}
        alert = {"service": "revoked-key", "severity": "low", "message": "still accepted?"}
        # Verified and cached by each replica (their cache would keep it for 300 s).
        for base in replicas:
            assert httpx.post(f"{base}/api/v1/alerts", json=alert, headers=key).status_code == 201
        heard_before = [_heard(base) for base in replicas]
        _ok(gateway.delete(f"/api/v1/api-keys/{created['id']}", headers=admin))
    # Each replica hears the committed revocation (bounded), then refuses the key.
    for base, before in zip(replicas, heard_before, strict=True):
        _within_bound(lambda b=base, n=before: _heard(b) > n, f"{base} heard the revocation")
        refused = httpx.post(f"{base}/api/v1/alerts", json=alert, headers=key)
        assert refused.status_code == 401, refused.text


def test_a_rolling_restart_of_every_replica_fails_no_request_and_loses_no_alert(
    replicated: tuple[Stack, str],
) -> None:
    """Each of the ten replicas drained, stopped (SIGTERM), started and readied in turn, while
    four clients stream alerts through nginx and one through the gateway with an API key."""
    stack, database = replicated
    team = f"restart-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=stack.urls["api-gateway"], timeout=30) as gateway:
        created = _ok(
            gateway.post(
                "/api/v1/api-keys",
                json={"name": team, "permissions": ["ingest"]},
                headers=_admin(gateway),
            ),
            201,
        )
    stop = threading.Event()
    outcomes: list[tuple[int, str | None]] = []  # (status, alert id) or (0, the error)

    def stream(client_number: int) -> None:
        through_gateway = client_number == 0
        base = stack.urls["api-gateway" if through_gateway else "alert-ingestion"]
        headers = {"X-API-Key": created["key"]} if through_gateway else {}
        sent = 0
        with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
            while not stop.is_set():
                sent += 1
                alert = {
                    "service": f"{team}-{client_number}",
                    "severity": "high",
                    "message": f"alert {sent} of client {client_number}",
                    "labels": {"team": team},
                }
                try:
                    answer = client.post("/api/v1/alerts", json=alert)
                except httpx.HTTPError as error:  # no answer at all: a failure, named
                    outcomes.append((0, f"{type(error).__name__}: {error}"))
                    continue
                accepted = answer.status_code in (201, 202)
                outcomes.append(
                    (answer.status_code, answer.json()["alert_id"] if accepted else None)
                )

    config = StackConfig(
        state_dir=stack.state_dir,
        host="127.0.0.1",
        port_offset=int(stack.env["STACK_PORT_OFFSET"]),
        ready_timeout=BOUND_SECONDS,
    )
    clients = [threading.Thread(target=stream, args=(n,)) for n in range(5)]
    for client in clients:
        client.start()
    try:
        restarts = rolling_restart.restart_all(config, database, 2)
    finally:
        stop.set()
        for client in clients:
            client.join()
    assert [r.name for r in restarts] == [f"{name}.{k}" for name in stack.urls for k in (1, 2)]
    print(  # the figures of docs/operations.md (pytest -s)
        f"\nrolling restart: {len(outcomes)} alerts sent during it;",
        *(f"{r.name} drain {r.drain_seconds:.2f}s stop {r.stop_seconds:.2f}s ready "
          f"{r.ready_seconds:.2f}s;" for r in restarts),
    )  # fmt: skip
    failures = [(status, detail) for status, detail in outcomes if status not in (201, 202)]
    accepted = [alert_id for status, alert_id in outcomes if status in (201, 202) and alert_id]
    assert failures == [] and len(accepted) > 100, (failures, len(accepted))

    def every_alert_on_its_incident() -> bool:
        placed = _query(
            database,
            "SELECT count(*) AS n FROM ingestion.alerts"
            " WHERE id = ANY($1::uuid[]) AND incident_id IS NOT NULL",
            accepted,
        )
        return placed[0]["n"] == len(accepted)

    _within_bound(every_alert_on_its_incident, "every accepted alert stored, on its incident")
