"""Routing rules on the real database, with the real on-call service over HTTP (teams are its):
CRUD in order, a team on-call does not know (422), an invalid regex (422 naming the matcher), the
catch-all, the unrouted alert (counted, listed), history, the try-it route, the cache of a second
replica invalidated by NOTIFY, and SERVICE_TEAM_MAP imported once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from nightwatch_core.settings import to_asyncpg_url
from nightwatch_core.testing.plans import index_only_plan
from nightwatch_oncall.main import create_app as create_oncall_app
from nightwatch_oncall.settings import OncallSettings

from .conftest import FakeIncidentManagement

ADMIN = {"X-Actor": "alice"}


def _dsn(database_url: str) -> str:
    return to_asyncpg_url(database_url).replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def clean_routing(database_url: str) -> AsyncIterator[None]:
    """Routing is global to the database: each test starts and ends with no rules, no catch-all."""

    async def reset() -> None:
        conn = await asyncpg.connect(_dsn(database_url))
        try:
            await conn.execute(
                "DELETE FROM ingestion.routing_rules; DELETE FROM ingestion.routing_changes; UPDATE ingestion.routing_settings SET "
                "catch_all_team = NULL, service_team_map_imported_at = NULL"
            )
        finally:
            await conn.close()

    await reset()
    yield
    await reset()


@pytest.fixture
async def oncall(make_settings: Any, http_server: Any) -> AsyncIterator[str]:
    """The real on-call service, over loopback HTTP, on the run's database."""
    settings = make_settings(OncallSettings, escalation_workers_enabled=False)
    async with http_server(create_oncall_app(settings)) as url:
        yield url


@pytest.fixture
async def routed(
    ingestion: Any, oncall: str, clean_routing: None
) -> AsyncIterator[tuple[Any, Any, Any]]:
    """An ingestion app that asks on-call, and a team helper: (app, client, make_team)."""
    async with ingestion(oncall_url=oncall) as (app, client):

        async def make_team() -> str:
            name = f"team-{uuid.uuid4().hex[:8]}"
            made = await app.state.oncall_client.request(
                "POST", "/api/v1/teams", json={"name": name}
            )
            assert made.status_code == 201, made.text
            return name

        yield app, client, make_team


async def create_rule(client: Any, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/routing-rules", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_rule_routes_alerts_to_its_team(
    routed: Any, make_alert: Any, service_name: str, incidents: FakeIncidentManagement
) -> None:
    _, client, make_team = routed
    team = await make_team()
    made = await create_rule(
        client,
        name="payments",
        matchers=[f'service="{service_name}"', 'severity=~"critical|high"'],
        set_team=team,
        set_severity="critical",
        add_labels={"routed": "yes"},
    )
    assert made["position"] == 0 and made["created_by"] == "alice" and made["continue"] is False
    answer = (await client.post("/api/v1/alerts", json=make_alert())).json()
    sent = incidents.incidents[answer["incident_id"]]
    assert (sent["team"], sent["severity"]) == (team, "critical")
    assert sent["labels"] == {"routed": "yes"}
    stored = (await client.get(f"/api/v1/alerts/{answer['alert_id']}")).json()
    assert stored["team"] == team and stored["labels"] == {"routed": "yes"}
    low = (await client.post("/api/v1/alerts", json=make_alert(severity="low"))).json()
    assert incidents.incidents[low["incident_id"]]["team"] == "unrouted"
    metrics = (await client.get("/metrics")).text
    assert 'alerts_routed_total{rule="payments"}' in metrics
    assert "alerts_unrouted_total" in metrics


async def test_a_team_on_call_does_not_know_is_refused_naming_it(routed: Any) -> None:
    _, client, _ = routed
    response = await client.post(
        "/api/v1/routing-rules",
        json={"name": "x", "matchers": ['service="x"'], "set_team": "no-such-team"},
        headers=ADMIN,
    )
    assert response.status_code == 422
    assert "no-such-team" in response.json()["error"]["message"]
    catch_all = await client.put("/api/v1/routing-rules/catch-all", json={"team": "no-such-team"})
    assert catch_all.status_code == 422 and "no-such-team" in catch_all.text
    assert (await client.get("/api/v1/routing-rules")).json()["total"] == 0


async def test_bad_rules_are_422_naming_what_is_wrong(routed: Any) -> None:
    _, client, _ = routed
    bad_regex = await client.post(
        "/api/v1/routing-rules",
        json={"name": "x", "matchers": ['service=~"api("'], "suppress": True},
    )
    assert bad_regex.status_code == 422
    assert 'service=~\\"api(\\"' in bad_regex.text or "api(" in bad_regex.text
    assert "regular expression" in bad_regex.text
    no_action = await client.post(
        "/api/v1/routing-rules", json={"name": "x", "matchers": ['service="x"']}
    )
    assert no_action.status_code == 422 and "at least one action" in no_action.text
    not_a_matcher = await client.post(
        "/api/v1/routing-rules", json={"name": "x", "matchers": ["service"], "suppress": True}
    )
    assert not_a_matcher.status_code == 422 and "not a matcher" in not_a_matcher.text
    unrouted = await client.put("/api/v1/routing-rules/catch-all", json={"team": "unrouted"})
    assert unrouted.status_code == 422 and "real team" in unrouted.text


async def test_order_first_match_wins_and_continue(
    routed: Any, make_alert: Any, service_name: str, incidents: FakeIncidentManagement
) -> None:
    _, client, make_team = routed
    one, two = await make_team(), await make_team()
    tag = await create_rule(
        client,
        name="tag",
        matchers=[f'service="{service_name}"'],
        add_labels={"tier": "1"},
        **{"continue": True},
    )
    first = await create_rule(
        client, name="first", matchers=[f'service="{service_name}"'], set_team=one
    )
    second = await create_rule(
        client, name="second", matchers=['severity="high"'], set_team=two, position=0
    )
    listed = (await client.get("/api/v1/routing-rules")).json()
    assert [r["name"] for r in listed["items"]] == ["second", "tag", "first"]
    assert [r["position"] for r in listed["items"]] == [0, 1, 2]

    answer = (await client.post("/api/v1/alerts", json=make_alert())).json()
    assert incidents.incidents[answer["incident_id"]]["team"] == two  # "second" is first

    order = [tag["id"], first["id"], second["id"]]
    moved = await client.put("/api/v1/routing-rules/order", json={"ids": order})
    assert [r["id"] for r in moved.json()["items"]] == order
    await client.post("/api/v1/alerts", json=make_alert(message="again"))
    sent = incidents.items[-1]  # as sent (the stand-in keeps an incident's first alert)
    assert (sent["team"], sent["labels"]) == (one, {"tier": "1"})  # tag continued to "first"

    partial = await client.put("/api/v1/routing-rules/order", json={"ids": order[:2]})
    assert partial.status_code == 422 and "exactly once" in partial.text


async def test_catch_all_takes_what_nothing_else_routed(
    routed: Any, make_alert: Any, incidents: FakeIncidentManagement
) -> None:
    _, client, make_team = routed
    nowhere = (await client.post("/api/v1/alerts", json=make_alert())).json()
    assert incidents.incidents[nowhere["incident_id"]]["team"] == "unrouted"
    listed = (await client.get("/api/v1/alerts", params={"unrouted": "true"})).json()
    assert nowhere["alert_id"] in [a["id"] for a in listed["items"]]
    assert {a["team"] for a in listed["items"]} == {"unrouted"}
    overview = (await client.get("/api/v1/routing-rules")).json()
    assert overview["unrouted_last_day"] >= 1 and overview["catch_all"]["team"] is None

    team = await make_team()
    made = await client.put("/api/v1/routing-rules/catch-all", json={"team": team}, headers=ADMIN)
    assert made.status_code == 200, made.text
    assert made.json()["team"] == team and made.json()["exists"] is True
    await client.post("/api/v1/alerts", json=make_alert(message="later"))
    assert incidents.items[-1]["team"] == team
    metrics = (await client.get("/metrics")).text
    assert "routing_catch_all_valid 1.0" in metrics


async def test_a_catch_all_whose_team_is_gone_is_not_routed_to(
    routed: Any, make_alert: Any, incidents: FakeIncidentManagement
) -> None:
    app, client, make_team = routed
    team = await make_team()
    assert (
        await client.put("/api/v1/routing-rules/catch-all", json={"team": team})
    ).status_code == 200
    gone = await app.state.oncall_client.request("DELETE", f"/api/v1/teams/{team}")
    assert gone.status_code == 204
    await app.state.routing.reload(app.state.db_pool, oncall=app.state.oncall_client)
    assert app.state.routing.catch_all_exists is False
    answer = (await client.post("/api/v1/alerts", json=make_alert())).json()
    assert incidents.incidents[answer["incident_id"]]["team"] == "unrouted"
    overview = (await client.get("/api/v1/routing-rules")).json()
    assert overview["catch_all"] == {**overview["catch_all"], "team": team, "exists": False}
    assert "routing_catch_all_valid 0.0" in (await client.get("/metrics")).text


async def test_a_suppressing_rule_stores_the_alert_without_an_incident(
    routed: Any, make_alert: Any, service_name: str, incidents: FakeIncidentManagement
) -> None:
    _, client, _ = routed
    rule = await create_rule(
        client,
        name="drop low",
        matchers=[f'service="{service_name}"', 'severity="low"'],
        suppress=True,
    )
    held = (await client.post("/api/v1/alerts", json=make_alert(severity="low"))).json()
    assert held["result"] == "suppressed" and held["incident_id"] is None
    assert held["suppressed_by"] == {"kind": "routing", "id": rule["id"]}
    assert service_name not in [i["service"] for i in incidents.items]
    assert 'alerts_suppressed_total{reason="routing"} 1.0' in (await client.get("/metrics")).text


async def test_history_says_who_changed_what(routed: Any) -> None:
    _, client, make_team = routed
    team = await make_team()
    rule = await create_rule(client, name="a", matchers=['service="a"'], set_team=team)
    body = {"name": "b", "matchers": ['service="b"'], "set_team": team}
    changed = await client.put(
        f"/api/v1/routing-rules/{rule['id']}", json=body, headers={"X-Actor": "bob"}
    )
    assert changed.status_code == 200 and changed.json()["updated_by"] == "bob"
    assert (
        await client.delete(f"/api/v1/routing-rules/{rule['id']}", headers=ADMIN)
    ).status_code == 204
    assert (await client.get(f"/api/v1/routing-rules/{rule['id']}")).status_code == 404
    history = (
        await client.get("/api/v1/routing-rules/history", params={"rule_id": rule["id"]})
    ).json()
    entries = [(h["action"], h["actor"]) for h in history["items"]]
    assert entries == [("deleted", "alice"), ("updated", "bob"), ("created", "alice")]
    updated = history["items"][1]
    assert (updated["before"]["name"], updated["after"]["name"]) == ("a", "b")


async def test_try_it_answers_what_the_rules_would_do(routed: Any) -> None:
    _, client, make_team = routed
    team = await make_team()
    tag = await create_rule(
        client, name="tag", matchers=['env="prod"'], add_labels={"tier": "1"}, **{"continue": True}
    )
    pay = await create_rule(
        client, name="pay", matchers=['service=~"pay-.*"'], set_team=team, set_severity="critical"
    )
    sample = {"alert": {"service": "pay-api", "severity": "low", "labels": {"env": "prod"}}}
    answer = (await client.post("/api/v1/routing-rules/test", json=sample)).json()
    assert [m["name"] for m in answer["matched"]] == ["tag", "pay"]
    assert answer["rule"] == {"id": tag["id"], "name": "tag"}
    assert (answer["team"], answer["routed_by"], answer["severity"]) == (team, "pay", "critical")
    assert answer["labels"] == {"env": "prod", "tier": "1"} and answer["suppressed"] is False
    assert pay["id"] in [m["id"] for m in answer["matched"]]
    other = {"alert": {"service": "web", "severity": "low"}, "integration_team": "web-team"}
    answer = (await client.post("/api/v1/routing-rules/test", json=other)).json()
    assert (answer["team"], answer["routed_by"], answer["unrouted"]) == (
        "web-team",
        "integration",
        False,
    )
    nowhere = (
        await client.post(
            "/api/v1/routing-rules/test", json={"alert": {"service": "web", "severity": "low"}}
        )
    ).json()
    assert nowhere["unrouted"] is True and nowhere["team"] == "unrouted"
    bad = await client.post("/api/v1/routing-rules/test", json={"alert": {"service": "web"}})
    assert bad.status_code == 422 and "severity" in bad.text


async def test_a_second_replica_hears_the_change_without_a_query_per_alert(
    ingestion: Any,
    oncall: str,
    clean_routing: None,
    make_alert: Any,
    service_name: str,
    incidents: FakeIncidentManagement,
) -> None:
    # A refresh period of an hour: only the NOTIFY can bring the change to the second replica.
    async with (
        ingestion(oncall_url=oncall, routing_refresh_seconds=3600) as (one, client_one),
        ingestion(oncall_url=oncall, routing_refresh_seconds=3600) as (two, client_two),
    ):
        made = await one.state.oncall_client.request(
            "POST", "/api/v1/teams", json={"name": service_name}
        )
        assert made.status_code == 201
        await create_rule(
            client_one, name="r", matchers=[f'service="{service_name}"'], set_team=service_name
        )
        assert len(one.state.routing.table.rules) == 1  # the writer reloads before it answers
        # The bound: a NOTIFY reaches a listener in milliseconds; past 5 s it is lost.
        async with asyncio.timeout(5):
            while True:
                two.state.routing.reloaded.clear()
                if len(two.state.routing.table.rules) == 1:
                    break
                await two.state.routing.reloaded.wait()
        answer = (await client_two.post("/api/v1/alerts", json=make_alert())).json()
        assert incidents.incidents[answer["incident_id"]]["team"] == service_name


async def test_service_team_map_is_imported_once(
    ingestion: Any, clean_routing: None, incidents: FakeIncidentManagement, service_name: str
) -> None:
    mapped = {f"{service_name}-a": "payments", f"{service_name}-b": "search"}
    for _ in range(2):  # the second start finds it imported and changes nothing
        async with ingestion(service_team_map=mapped, default_team="ops") as (_, client):
            listed = (await client.get("/api/v1/routing-rules")).json()
            assert [r["set_team"] for r in listed["items"]] == ["payments", "search"]
            assert listed["items"][0]["matchers"] == [f'service="{service_name}-a"']
            assert listed["catch_all"]["team"] == "ops"
            labelled = {
                "service": f"{service_name}-a",
                "severity": "low",
                "message": "m",
                "labels": {"team": "sre"},
            }
            await client.post("/api/v1/alerts", json=labelled)
            await client.post("/api/v1/alerts", json={**labelled, "labels": {}})
            await client.post("/api/v1/alerts", json={**labelled, "service": "other", "labels": {}})
            history = (await client.get("/api/v1/routing-rules/history")).json()["items"]
            assert [(h["action"], h["actor"]) for h in history] == [
                ("imported", "SERVICE_TEAM_MAP")
            ] * 3
            teams = [item["team"] for item in incidents.items[-3:]]
            assert teams == ["sre", "payments", "ops"]


async def test_unrouted_alerts_are_counted_and_listed_from_their_partial_index(app: Any) -> None:
    # Tables are never analysed here: the plans must not depend on statistics.
    count = await index_only_plan(
        app.state.db_pool,
        "SELECT count(*) FROM ingestion.alerts WHERE team = 'unrouted' "
        "AND received_at >= now() - interval '1 day'",
    )
    assert "Index Only Scan" in count and "alerts_unrouted_idx" in count, count
    listed = await index_only_plan(  # (sequential and bitmap scans off: can the index serve it?)
        app.state.db_pool,
        "SELECT * FROM ingestion.alerts WHERE team = 'unrouted' "
        "ORDER BY received_at DESC, id DESC LIMIT 51",
    )
    assert "alerts_unrouted_idx" in listed and "Sort" not in listed, listed
