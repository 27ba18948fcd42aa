"""Alert correlation, owned here: POST /internal/v1/alert-batches on the real database.

The rule: an alert joins the open incident of its (service, severity) when that incident's latest
alert arrived within the window; a resolved incident is never joined by an alert that arrives
after the resolve; a batch costs a fixed number of statements.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nightwatch_core.clock import ManualClock, SystemClock
from nightwatch_core.testing.statements import counted_statements
from nightwatch_incidents.correlation import statements as sql
from nightwatch_incidents.incidents.batch_timeline import INSERT_ENTRIES
from nightwatch_incidents.main import create_app
from sqlalchemy import text

URL = "/internal/v1/alert-batches"


def alert(
    service: str,
    *,
    severity: str = "high",
    fingerprint: str | None = None,
    message: str = "HTTP 5xx error rate > 10%",
    team: str = "web",
    at: datetime | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "alert_id": str(uuid.uuid4()),
        "service": service,
        "severity": severity,
        "fingerprint": fingerprint or uuid.uuid4().hex * 2,
        "message": message,
        "labels": labels or {},
        "team": team,
        "received_at": (at or datetime(2026, 3, 1, 12, 0, tzinfo=UTC)).isoformat(),
    }


async def post_batch(client: Any, alerts: list[dict[str, Any]], batch_id: str | None = None) -> Any:
    response = await client.post(
        URL, json={"batch_id": batch_id or str(uuid.uuid4()), "alerts": alerts}
    )
    assert response.status_code == 200, response.text
    return response.json()


def placed(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["incident_id"], r["result"]) for r in answer["results"]]


async def test_first_alert_opens_an_incident_that_pages_and_the_rest_join_it(
    helpers: Any, service_name: str
) -> None:
    first = alert(service_name, labels={"env": "prod"}, fingerprint="a" * 64)
    answer = await post_batch(helpers.client, [first])
    [(incident_id, result)] = placed(answer)
    assert result == "new_incident" and answer["replayed"] is False
    detail = await helpers.detail(incident_id)
    assert detail["title"] == f"[high] {service_name}: HTTP 5xx error rate > 10%"
    assert "Labels: env=prod" in detail["description"]
    assert (detail["team"], detail["status"], detail["alert_count"]) == ("web", "open", 1)
    assert [e["event_type"] for e in detail["timeline"]] == ["created", "alerts_attached"]
    assert {e["actor"] for e in detail["timeline"]} == {"alert-ingestion"}
    assert [j.kind for j in await helpers.jobs(incident_id)] == ["start_escalation"]

    same = alert(service_name, fingerprint="a" * 64)
    other = alert(service_name, fingerprint="b" * 64)
    answer = await post_batch(helpers.client, [same, other, alert(service_name, severity="low")])
    results = placed(answer)
    assert results[:2] == [(incident_id, "duplicate"), (incident_id, "correlated")]
    assert results[2][0] != incident_id and results[2][1] == "new_incident"
    detail = await helpers.detail(incident_id)
    assert (detail["alert_count"], detail["duplicate_count"]) == (3, 1)
    attached = [e for e in detail["timeline"] if e["event_type"] == "alerts_attached"]
    assert [e["message"] for e in attached] == [
        "1 alert attached: HTTP 5xx error rate > 10%",
        "1 alert attached (+1 duplicate): HTTP 5xx error rate > 10%",
    ]
    assert attached[1]["data"]["alert_ids"] == [other["alert_id"]]


async def test_identical_alerts_in_one_batch_are_one_new_incident_and_duplicates(
    helpers: Any, service_name: str
) -> None:
    same = [alert(service_name, fingerprint="c" * 64) for _ in range(50)]
    results = placed(await post_batch(helpers.client, same))
    assert len({incident for incident, _ in results}) == 1
    assert [r for _, r in results] == ["new_incident"] + ["duplicate"] * 49


async def test_alert_after_the_window_opens_a_new_incident(helpers: Any, service_name: str) -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    [(first, _)] = placed(await post_batch(helpers.client, [alert(service_name, at=start)]))
    inside = start + timedelta(seconds=299)
    [(joined, _)] = placed(await post_batch(helpers.client, [alert(service_name, at=inside)]))
    # The window counts from the latest alert, not the first.
    later = inside + timedelta(seconds=299)
    [(still, _)] = placed(await post_batch(helpers.client, [alert(service_name, at=later)]))
    after = later + timedelta(seconds=301)
    [(fresh, result)] = placed(await post_batch(helpers.client, [alert(service_name, at=after)]))
    assert first == joined == still != fresh and result == "new_incident"


async def test_correlation_window_is_a_setting(
    make_settings: Any, clock: ManualClock, neighbours: Any, app_client: Any, service_name: str
) -> None:
    from nightwatch_incidents.settings import IncidentSettings

    settings = make_settings(
        IncidentSettings,
        correlation_window_seconds=10,
        jobs_worker_enabled=False,
        oncall_url="http://oncall.test",
        alert_ingestion_url="http://ingestion.test",
    )
    app = create_app(settings, clock=clock, transport=neighbours.transport)
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    async with app_client(app) as client:
        [(first, _)] = placed(await post_batch(client, [alert(service_name, at=start)]))
        late = start + timedelta(seconds=11)
        [(second, _)] = placed(await post_batch(client, [alert(service_name, at=late)]))
    assert first != second


async def test_resolved_incident_is_never_joined_again(helpers: Any, service_name: str) -> None:
    """Resolve, then post at once: 200 times, each alert lands in a new, open incident."""
    [(incident_id, _)] = placed(await post_batch(helpers.client, [alert(service_name)]))
    opened = [incident_id]
    for _ in range(200):
        response = await helpers.patch(incident_id, {"status": "resolved"})
        assert response.status_code == 200
        [(incident_id, result)] = placed(await post_batch(helpers.client, [alert(service_name)]))
        assert incident_id not in opened and result == "new_incident"
        opened.append(incident_id)
    async with helpers.app.state.sessionmaker() as session:
        rows = await session.execute(
            text("SELECT status, alert_count FROM incidents.incidents WHERE id = ANY(:ids)"),
            {"ids": [uuid.UUID(i) for i in opened]},
        )
        statuses = sorted((status, count) for status, count in rows.all())
    assert statuses == [("open", 1)] + [("resolved", 1)] * 200


async def test_resolve_racing_a_batch_never_attaches_a_later_alert(
    settings: Any, neighbours: Any, app_client: Any, service_name: str
) -> None:
    """A resolve and a batch at the same moment, on the system clock, 50 times: whichever takes
    the incident's lock first wins, and an alert on a resolved incident always arrived before
    its resolve."""
    app = create_app(settings, clock=SystemClock(), transport=neighbours.transport)
    async with app_client(app) as client:
        [(incident_id, _)] = placed(await post_batch(client, [alert(service_name)]))
        for _ in range(50):
            body = alert(service_name, at=datetime.now(UTC))
            resolved, answer = await asyncio.gather(
                client.patch(f"/api/v1/incidents/{incident_id}", json={"status": "resolved"}),
                client.post(URL, json={"batch_id": str(uuid.uuid4()), "alerts": [body]}),
            )
            assert resolved.status_code == 200 and answer.status_code == 200
            resolved_at = datetime.fromisoformat(resolved.json()["resolved_at"])
            [(joined, _)] = placed(answer.json())
            if joined == incident_id:
                assert datetime.fromisoformat(body["received_at"]) <= resolved_at
            [(incident_id, result)] = placed(
                await post_batch(client, [alert(service_name, at=datetime.now(UTC))])
            )
            assert result in ("new_incident", "correlated")
            status = (await client.get(f"/api/v1/incidents/{incident_id}")).json()["status"]
            assert status == "open"


async def test_the_same_batch_again_gets_the_same_answer_and_counts_once(
    helpers: Any, service_name: str
) -> None:
    alerts = [alert(service_name, fingerprint="d" * 64), alert(service_name)]
    batch_id = str(uuid.uuid4())
    first = await post_batch(helpers.client, alerts, batch_id)
    again = await post_batch(helpers.client, alerts, batch_id)
    assert again["replayed"] is True and again["results"] == first["results"]
    detail = await helpers.detail(first["results"][0]["incident_id"])
    assert detail["alert_count"] == 2
    other = await helpers.client.post(
        URL, json={"batch_id": batch_id, "alerts": [alert(service_name)]}
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "batch_id_reused"


async def test_concurrent_copies_of_one_batch_are_correlated_once(
    helpers: Any, service_name: str
) -> None:
    alerts = [alert(service_name) for _ in range(5)]
    batch_id = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(post_batch(helpers.client, alerts, batch_id) for _ in range(4))
    )
    assert len({str(a["results"]) for a in answers}) == 1
    assert sorted(a["replayed"] for a in answers) == [False, True, True, True]
    detail = await helpers.detail(answers[0]["results"][0]["incident_id"])
    assert detail["alert_count"] == 5


async def test_concurrent_batches_of_one_key_open_exactly_one_incident(
    helpers: Any, service_name: str
) -> None:
    answers = await asyncio.gather(
        *(post_batch(helpers.client, [alert(service_name)]) for _ in range(20))
    )
    incidents = {a["results"][0]["incident_id"] for a in answers}
    assert len(incidents) == 1
    assert sorted(a["results"][0]["result"] for a in answers) == ["correlated"] * 19 + [
        "new_incident"
    ]


async def test_a_batch_costs_a_fixed_number_of_statements(helpers: Any, service_name: str) -> None:
    """1,000 alerts over 50 groups: opening them and attaching to them take the same handful of
    statements as one alert does."""
    groups = [f"{service_name}-{n}" for n in range(50)]
    with counted_statements(helpers.app) as opening:
        first = await post_batch(helpers.client, [alert(g) for g in groups for _ in range(20)])
    with counted_statements(helpers.app) as joining:
        second = await post_batch(helpers.client, [alert(g) for g in groups for _ in range(20)])
    with counted_statements(helpers.app) as single:
        await post_batch(helpers.client, [alert(f"{service_name}-single")])
    assert len({r["incident_id"] for r in first["results"]}) == 50
    assert {r["result"] for r in second["results"]} == {"correlated"}
    assert len(opening) == len(single) <= 10, opening
    assert len(joining) <= len(opening), joining
    async with helpers.app.state.sessionmaker() as session:
        entries = (
            await session.execute(
                text(
                    "SELECT count(*) FROM incidents.incident_timeline t "
                    "JOIN incidents.incidents i ON i.id = t.incident_id "
                    "WHERE i.service LIKE :prefix AND t.event_type = 'alerts_attached'"
                ),
                {"prefix": f"{service_name}-%"},
            )
        ).scalar()
    assert entries == 50 * 2 + 1  # one per incident per batch, not one per alert


@pytest.mark.parametrize(
    "change",
    [
        {"batch_id": "not-a-uuid"},
        {"alerts": []},
        {"alerts": [{**alert("s"), "severity": "urgent"}]},
        {"alerts": [{**alert("s"), "message": "nul\u0000"}]},
        {"alerts": [{**alert("s"), "labels": {"k": "nul\u0000"}}]},
        {"alerts": [alert("s") for _ in range(1001)]},
        {"alerts": [{**alert("s"), "received_at": "0001-01-01T00:00:00Z"}]},
    ],
)
async def test_bad_batches_are_422(helpers: Any, change: dict[str, Any]) -> None:
    body = {"batch_id": str(uuid.uuid4()), "alerts": [alert("s")], **change}
    response = await helpers.client.post(URL, json=body)
    assert response.status_code == 422, response.text


async def test_correlation_probes_indexes_however_many_groups_and_without_statistics(
    helpers: Any, service_name: str
) -> None:
    """The locking and recording statements cost what the batch holds, not what the tables hold:
    one index probe per key, fingerprint and incident, whether or not the tables were ever
    analysed (this server runs with autovacuum off; docs/benchmarks.md). Joined as sets they
    were planned as scans of every open group and incident (LOCK_INCIDENTS) and of every group
    ever opened (RECORD_ALERTS)."""
    groups = [f"{service_name}-{n}" for n in range(2000)]  # past where a scan looks cheaper
    first = await post_batch(helpers.client, [alert(g) for g in groups[:1000]])
    await post_batch(helpers.client, [alert(g) for g in groups[1000:]])
    ids = sorted({r["incident_id"] for r in first["results"]})[:5]
    keys = groups[:5]
    params = {
        "services": keys,
        "severities": ["high"] * len(keys),
        "fingerprints": [uuid.uuid4().hex * 2 for _ in keys],
    }
    recorded = {
        "ids": ids,
        "alerts": [1] * len(ids),
        "duplicates": [0] * len(ids),
        "last_alerts": [datetime(2026, 3, 1, 12, 1, tzinfo=UTC)] * len(ids),
        "messages": ["m"] * len(ids),
        "data": ["{}"] * len(ids),
        "dedup_key": "plan-test",
        "now": datetime(2026, 3, 1, 12, 1, tzinfo=UTC),
        "actor": "test",
    }
    async with helpers.app.state.sessionmaker() as session:
        plans = []
        timeline = {
            "now": datetime(2026, 3, 1, 12, 1, tzinfo=UTC),
            "incident_ids": ids,
            "event_types": ["paged"] * len(ids),
            "actors": ["oncall"] * len(ids),
            "messages": ["m"] * len(ids),
            "datas": ["{}"] * len(ids),
            "keys": [None] * len(ids),
        }
        for statement, values in (
            (sql.LOCK_INCIDENTS.text, params),
            (sql.RECORD_ALERTS.text, recorded),
            (INSERT_ENTRIES, timeline),  # other services' timeline entries (on-call's pages)
        ):
            rows = await session.execute(text("EXPLAIN " + statement), values)
            plans.append("\n".join(row[0] for row in rows))
        await session.rollback()
    for plan in plans:
        for table in ("incidents", "alert_groups", "alert_fingerprints"):
            assert f"Seq Scan on {table} " not in plan, plan
    assert "Index Scan using alert_groups_one_open_idx" in plans[0], plans[0]
    assert "alert_groups_pkey" in plans[1] and "incidents_pkey" in plans[1], plans[1]
