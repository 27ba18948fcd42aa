"""Integrations (issue #13) on the real database, with incident-management played by the real
HTTP stand-in: the object and its key (shown once, stored hashed, only for its own endpoint),
each inbound format's mapping, and every bad input answered in the tool's dialect."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson
import pytest
from nightwatch_ingestion.alerts.fingerprint import of_dedup_key
from sqlalchemy import text

from .grafana_webhook_payload import PAYLOAD as GRAFANA_PAYLOAD

AM = "/api/v1/integrations/alertmanager"
PD = "/api/v1/integrations/pagerduty/v2/enqueue"


async def create(client: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "type": "alertmanager",
        "name": f"int-{uuid.uuid4().hex[:8]}",
        "default_service": f"svc-{uuid.uuid4().hex[:8]}",
        **fields,
    }
    response = await client.post("/api/v1/integrations", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def am_alert(fingerprint: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "HighErrorRate", **labels},
        "annotations": {
            "summary": "5xx above 10%",
            "description": "checkout returns errors",
            "runbook_url": "https://runbooks.example/5xx",
        },
        "startsAt": "2026-02-09T15:30:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }


def am_payload(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "nightwatch",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


async def stored(app: Any, integration_id: str) -> list[Any]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT service, severity, message, labels, fingerprint, event, status, source, "
                "details, team FROM ingestion.alerts WHERE integration_id = :id "
                "ORDER BY received_at, id"
            ),
            {"id": integration_id},
        )
        return list(rows.all())


async def test_the_key_is_shown_once_stored_hashed_and_rotates(app: Any, client: Any) -> None:
    created = await create(client, default_team="sre")
    key = created["key"]
    assert key.startswith(created["key_prefix"] + "_")
    assert key in created["snippet"] and "http_config" in created["snippet"]
    assert created["inbound_url"] == "http://localhost:8080/api/v1/integrations/alertmanager"
    read = (await client.get(f"/api/v1/integrations/{created['id']}")).json()
    assert "key" not in read and key not in orjson.dumps(read).decode()
    assert "<key>" in read["snippet"]
    listed = (await client.get("/api/v1/integrations")).json()
    assert created["id"] in [i["id"] for i in listed["items"]]
    async with app.state.sessionmaker() as session:
        digest = (
            await session.execute(
                text("SELECT key_hash FROM ingestion.integrations WHERE id = :id"),
                {"id": created["id"]},
            )
        ).scalar()
    assert digest == hashlib.sha256(key.encode()).hexdigest()

    assert (await client.post(AM, json=am_payload(), headers=bearer(key))).status_code == 200
    rotated = (await client.post(f"/api/v1/integrations/{created['id']}/rotate-key")).json()
    assert rotated["key"] != key and rotated["key_rotated_at"] is not None
    assert (await client.post(AM, json=am_payload(), headers=bearer(key))).status_code == 401
    new = bearer(rotated["key"])
    assert (await client.post(AM, json=am_payload(), headers=new)).status_code == 200

    patched = await client.patch(
        f"/api/v1/integrations/{created['id']}", json={"auto_resolve": False, "name": "renamed-x"}
    )
    assert patched.status_code == 200 and patched.json()["auto_resolve"] is False
    assert (await client.delete(f"/api/v1/integrations/{created['id']}")).status_code == 204
    assert (await client.post(AM, json=am_payload(), headers=new)).status_code == 401
    assert (await client.get(f"/api/v1/integrations/{created['id']}")).status_code == 404


async def test_bad_integration_bodies_are_4xx(client: Any) -> None:
    taken = await create(client)
    for body, status in [
        ({"type": "nagios", "name": "x", "default_service": "s"}, 422),
        ({"type": "grafana", "name": "", "default_service": "s"}, 422),
        (
            {
                "type": "grafana",
                "name": "x",
                "default_service": "s",
                "severity_mapping": {"a": "p0"},
            },
            422,
        ),
        ({"type": "grafana", "name": taken["name"], "default_service": "s"}, 409),
        ({"type": "grafana", "name": "x", "default_service": "s", "extra": 1}, 422),
    ]:
        response = await client.post("/api/v1/integrations", json=body)
        assert response.status_code == status, (body, response.text)
        assert "error" in response.json()
    null_name = await client.patch(f"/api/v1/integrations/{taken['id']}", json={"name": None})
    assert null_name.status_code == 422


async def test_alertmanager_alerts_are_mapped_deduplicated_and_resolved(
    app: Any, client: Any, incidents: Any
) -> None:
    created = await create(client, default_team="sre", severity_mapping={"disaster": "critical"})
    key, service = created["key"], created["default_service"]
    payload = am_payload(
        am_alert("aaa111", severity="critical", service="checkout"),
        am_alert("bbb222", severity="warning", job="node"),
        am_alert("ccc333", severity="error"),
        am_alert("ddd444", severity="info"),
        am_alert("eee555", severity="bananas"),
        am_alert("fff666", severity="DISASTER"),
    )
    response = await client.post(AM, json=payload, headers=bearer(key))
    assert response.status_code == 200, response.text
    assert response.json()["alerts"] == 6
    rows = await stored(app, created["id"])
    assert {(r.labels["severity"], r.service, r.severity) for r in rows} == {
        ("critical", "checkout", "critical"),
        ("warning", "node", "medium"),
        ("error", service, "high"),
        ("info", service, "low"),
        ("bananas", service, "medium"),  # unknown -> the integration's default (medium)
        ("DISASTER", service, "critical"),  # the integration's own mapping, case-insensitive
    }
    [first] = [r for r in rows if r.service == "checkout"]
    assert first.message == "5xx above 10%"
    assert first.labels == {
        "alertname": "HighErrorRate",
        "severity": "critical",
        "service": "checkout",
    }
    assert first.details["generator_url"] == "http://prometheus:9090/graph?g0.expr=up"
    assert first.details["runbook_url"] == "https://runbooks.example/5xx"
    assert first.details["annotations"]["description"] == "checkout returns errors"
    assert (first.source, first.event, first.status, first.team) == (
        "alertmanager",
        "trigger",
        "firing",
        "sre",
    )
    # Sent to incident-management as the integration (for resolves), scoped fingerprints.
    [item] = [i for i in incidents.items[-6:] if i["service"] == "checkout"]
    assert item["actor"] == f"integration:{created['name']}"
    assert item["fingerprint"] == hashlib.sha256(f"{created['id']}\x1faaa111".encode()).hexdigest()

    # Alertmanager's repeat notification: the same fingerprints are duplicates, not incidents.
    again_response = await client.post(AM, json=payload, headers=bearer(key))
    assert again_response.status_code == 200, again_response.text
    again = again_response.json()
    assert again["incident_ids"] == response.json()["incident_ids"]
    results = [r.fingerprint for r in (await stored(app, created["id"]))]
    assert len(results) == 12 and len(set(results)) == 6

    resolved = am_payload(am_alert("aaa111", "resolved", severity="critical", service="checkout"))
    answer = await client.post(AM, json=resolved, headers=bearer(key))
    assert answer.status_code == 200, answer.text
    assert answer.json()["resolved"] == 1
    rows = await stored(app, created["id"])
    checkout = sorted((r.event, r.status) for r in rows if r.service == "checkout")
    assert checkout == [("resolve", "resolved"), ("trigger", "resolved"), ("trigger", "resolved")]
    assert {r.status for r in rows if r.service != "checkout"} == {"firing"}
    listed = (await client.get(f"/api/v1/integrations/{created['id']}")).json()
    assert listed["event_counts"] == {"accepted": 12, "resolved": 1}
    assert listed["last_event_at"] is not None


async def test_keys_missing_wrong_or_of_another_endpoint_are_401(client: Any) -> None:
    grafana = await create(client, type="grafana")
    pagerduty = await create(client, type="pagerduty")
    cases = [
        {},
        bearer("nwi_000000000000_" + "x" * 43),
        bearer("not-a-key"),
        {"Authorization": "Basic dXNlcjpwYXNz"},
        bearer(grafana["key"]),  # a Grafana key on the Alertmanager endpoint
    ]
    for headers in cases:
        response = await client.post(AM, json=am_payload(), headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == "unauthorized"
        assert "WWW-Authenticate" in response.headers
    wrong = await client.post(PD, json={"routing_key": grafana["key"], "event_action": "trigger"})
    assert wrong.status_code == 401 and wrong.json()["status"] == "invalid event"
    ok = await client.post(
        "/api/v1/integrations/grafana", json=am_payload(), headers=bearer(grafana["key"])
    )
    assert ok.status_code == 200
    # An integration key is not an API credential of the platform either (the gateway's
    # API keys are nwk_...; tested end to end), and a PagerDuty key is no Bearer key.
    assert (
        await client.post(AM, json=am_payload(), headers=bearer(pagerduty["key"]))
    ).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"alerts": "nope"}',
        b'{"alerts": [{"status": "maybe", "labels": {}}]}',
        b'{"alerts": [42]}',
        b'{"alerts": [{"status": "firing", "labels": ["a"]}]}',
    ],
)
async def test_malformed_alertmanager_payloads_are_400(client: Any, body: bytes) -> None:
    created = await create(client)
    response = await client.post(
        AM, content=body, headers={**bearer(created["key"]), "content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_payload"


async def test_a_thousand_alerts_in_one_payload_are_accepted(app: Any, client: Any) -> None:
    created = await create(client)
    alerts = [am_alert(f"fp{i:05d}", severity="warning", instance=f"host-{i}") for i in range(1000)]
    response = await client.post(AM, json=am_payload(*alerts), headers=bearer(created["key"]))
    assert response.status_code == 200, response.text
    assert response.json()["alerts"] == 1000 and response.json()["pending"] == 0
    assert len(await stored(app, created["id"])) == 1000


async def test_alerts_are_kept_while_incident_management_is_down(
    app: Any, client: Any, incidents: Any
) -> None:
    created = await create(client)
    await incidents.stop()
    payload = am_payload(am_alert("down-1", severity="critical"))
    response = await client.post(AM, json=payload, headers=bearer(created["key"]))
    assert response.status_code == 202 and response.json()["pending"] == 1
    await incidents.start()
    from nightwatch_ingestion.alerts.workers import link_once

    handled, unreachable = await link_once(app)
    assert (handled, unreachable) == (1, False)
    # Sent again as it was first sent: as the integration.
    assert incidents.items[-1]["actor"] == f"integration:{created['name']}"
    rows = await stored(app, created["id"])
    assert len(rows) == 1


async def test_grafana_documentation_payload(app: Any, client: Any) -> None:
    created = await create(client, type="grafana")
    response = await client.post(
        "/api/v1/integrations/grafana",
        content=GRAFANA_PAYLOAD.encode(),
        headers={**bearer(created["key"]), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    rows = await stored(app, created["id"])
    assert sorted((r.message, r.severity, r.team) for r in rows) == [
        ("This alert was triggered for zone eu-1", "medium", "blue"),
        ("This alert was triggered for zone us-1", "medium", "blue"),
    ]
    [us] = [r for r in rows if r.labels["zone"] == "us-1"]
    details = us.details
    assert details["silence_url"].startswith("https://play.grafana.org/alerting/silence/new")
    assert details["generator_url"] == "https://play.grafana.org/alerting/1afz29v7z/edit"
    assert details["runbook_url"] == "https://myrunbook.com/runbook/1234"
    assert "dashboard_url" not in details  # empty in the payload


async def test_pagerduty_events_are_wire_compatible(app: Any, client: Any, incidents: Any) -> None:
    created = await create(client, type="pagerduty")
    key = created["key"]
    trigger = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {
            "summary": "Disk 95% full on db-1",
            "source": "db-1",
            "severity": "error",
            "component": "postgres",
            "custom_details": {"free_gb": 2},
        },
        "links": [{"href": "https://dash.example/db-1", "text": "Dashboard"}],
    }
    response = await client.post(PD, json=trigger)
    assert response.status_code == 202
    answer = response.json()
    assert (answer["status"], answer["message"]) == ("success", "Event processed")
    dedup_key = answer["dedup_key"]
    assert dedup_key  # generated
    [row] = await stored(app, created["id"])
    assert (row.severity, row.message, row.labels["source"]) == (
        "high",
        "Disk 95% full on db-1",
        "db-1",
    )
    assert row.details["links"] == [{"href": "https://dash.example/db-1", "text": "Dashboard"}]

    ack = await client.post(
        PD, json={"routing_key": key, "event_action": "acknowledge", "dedup_key": dedup_key}
    )
    assert ack.status_code == 202 and ack.json()["dedup_key"] == dedup_key
    assert incidents.items[-1]["action"] == "acknowledge"

    for bad, error in [
        ({"routing_key": key, "event_action": "explode"}, "event_action"),
        ({"routing_key": key, "event_action": "resolve"}, "dedup_key"),
        (
            {"routing_key": key, "event_action": "trigger", "payload": {"summary": "x"}},
            "payload.source",
        ),
        ({"event_action": "trigger"}, "routing_key"),
    ]:
        refused = await client.post(PD, json=bad)
        assert refused.status_code == 400, refused.text
        body = refused.json()
        assert body["status"] == "invalid event" and any(error in e for e in body["errors"])
    assert (
        await client.post(PD, content=b"{", headers={"content-type": "application/json"})
    ).status_code == 400


async def test_generic_alerts_take_a_dedup_key_and_resolve(
    client: Any, incidents: Any, make_alert: Any
) -> None:
    first = await client.post(
        "/api/v1/alerts", json=make_alert(message="CPU 91%", dedup_key="cpu-check")
    )
    second = await client.post(
        "/api/v1/alerts", json=make_alert(message="CPU 92%", dedup_key="cpu-check")
    )
    assert first.status_code == 201, first.text
    assert first.json()["fingerprint"] == second.json()["fingerprint"] == of_dedup_key("cpu-check")
    assert second.json()["result"] == "duplicate"
    resolved = await client.post(
        "/api/v1/alerts",
        json=make_alert(message="CPU 40%", dedup_key="cpu-check", status="resolved"),
    )
    assert resolved.status_code == 201 and resolved.json()["result"] == "resolved"
    read = (await client.get(f"/api/v1/alerts/{first.json()['id']}")).json()
    assert (read["status"], read["source"]) == ("resolved", "api")
    assert read["resolved_at"] is not None
    bad = await client.post("/api/v1/alerts", json=make_alert(status="gone"))
    assert bad.status_code == 422


async def test_integration_events_are_counted_in_metrics(client: Any) -> None:
    created = await create(client)
    await client.post(AM, json=am_payload(am_alert("m-1")), headers=bearer(created["key"]))
    await client.post(AM, json=am_payload(), headers=bearer("nope"))
    metrics = (await client.get("/metrics")).text
    assert 'integration_events_total{outcome="accepted",type="alertmanager"}' in metrics
    assert 'integration_events_total{outcome="unauthorized",type="alertmanager"}' in metrics


async def test_database_down_on_the_inbound_path_is_503_so_the_tool_retries(
    ingestion: Any, database_url: str
) -> None:
    from nightwatch_core.testing.tcp_proxy import TcpProxy

    proxy = TcpProxy(database_url)
    await proxy.start()
    async with ingestion(
        database_url=proxy.url_for(database_url), integration_key_cache_seconds=0
    ) as (_, client):
        created = await create(client)
        await proxy.cut()
        refused = await client.post(AM, json=am_payload(), headers=bearer(created["key"]))
        assert refused.status_code == 503, refused.text  # never a 401 that drops the alerts
        await proxy.restore()
        again = await client.post(AM, json=am_payload(), headers=bearer(created["key"]))
        assert again.status_code == 200
    await proxy.cut()
