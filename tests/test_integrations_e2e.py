"""Inbound integrations end to end (issue #13), with the real tools and the real stack
(`make up` on free ports): everything goes through the gateway's public address.

- a real Alertmanager (Debian's prometheus-alertmanager, clustering off, group_wait 1 s) whose
  webhook receiver has the integration key: an alert pushed to it opens an incident here; its
  repeat notifications are duplicates on that incident; ending it auto-resolves the incident as
  ``integration:<name>``;
- a real Prometheus with a rule that fires, through its Alertmanager: the incident opens;
- PagerDuty's maintained Python client (``pagerduty`` on PyPI) pointed at the platform:
  trigger -> acknowledge -> resolve on one dedup key.

Alertmanager and Prometheus deliver asynchronously: each wait states its bound and fails past it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pagerduty

from tests import integration_tools as tools
from tests.stack_runner import ADMIN, Stack

DELIVERY_BOUND_SECONDS = 45


def _admin(client: httpx.Client) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _integration(client: httpx.Client, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/integrations",
        json={"name": f"e2e-{uuid.uuid4().hex[:8]}", "default_service": "e2e", **body},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _alerts(client: httpx.Client, admin: dict[str, str], service: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/alerts", params={"service": service, "limit": 500}, headers=admin
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def _at_least(count: int, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    return items if len(items) >= count else None


def _incident(client: httpx.Client, admin: dict[str, str], incident_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/incidents/{incident_id}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_alertmanager_opens_repeats_and_auto_resolves_an_incident(
    running_stack: Stack, tmp_path: Path
) -> None:
    gateway = running_stack.urls["api-gateway"]
    service = f"checkout-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=gateway, timeout=15) as client:
        admin = _admin(client)
        created = _integration(client, admin, type="alertmanager")
        config = tools.alertmanager_config(
            url=f"{gateway}/api/v1/integrations/alertmanager", key=created["key"]
        )
        with tools.alertmanager(tmp_path / "am", config) as am:
            alert = {
                "labels": {
                    "alertname": "HighErrorRate",
                    "service": service,
                    "severity": "critical",
                },
                "annotations": {
                    "summary": "5xx above 10%",
                    "runbook_url": "https://rb.example/5xx",
                },
                "generatorURL": "http://prometheus.example/graph?g0.expr=errors",
                "startsAt": datetime.now(UTC).isoformat(),
            }
            assert httpx.post(f"{am}/api/v2/alerts", json=[alert], timeout=5).status_code == 200

            first = tools.within(
                DELIVERY_BOUND_SECONDS,
                "Alertmanager's notification stored and placed",
                lambda: [a for a in _alerts(client, admin, service) if a["incident_id"]],
            )[-1]
            assert (first["severity"], first["source"], first["status"]) == (
                "critical",
                "alertmanager",
                "firing",
            )
            assert first["message"] == "5xx above 10%"
            assert first["details"]["generator_url"] == alert["generatorURL"]
            assert first["details"]["runbook_url"] == "https://rb.example/5xx"
            assert first["labels"]["alertname"] == "HighErrorRate"
            incident_id = first["incident_id"]

            # repeat_interval 2 s: Alertmanager notifies again; each repeat is a duplicate.
            repeats = tools.within(
                DELIVERY_BOUND_SECONDS,
                "a repeat notification",
                lambda: _at_least(3, _alerts(client, admin, service)),
            )
            assert {a["incident_id"] for a in repeats} == {incident_id}
            assert {a["result"] for a in repeats} == {"new_incident", "duplicate"}
            listed = client.get("/api/v1/incidents", params={"service": service}, headers=admin)
            assert listed.json()["total"] == 1

            # End it in Alertmanager: the resolved notification resolves the incident.
            ended = {**alert, "endsAt": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}
            assert httpx.post(f"{am}/api/v2/alerts", json=[ended], timeout=5).status_code == 200
            detail = tools.within(
                DELIVERY_BOUND_SECONDS,
                "the incident auto-resolved by the integration",
                lambda: (d := _incident(client, admin, incident_id))["status"] == "resolved" and d,
            )
    assert detail["resolved_by"] == f"integration:{created['name']}"
    entries = [(e["event_type"], e["actor"]) for e in detail["timeline"]]
    assert ("status_changed", f"integration:{created['name']}") in entries
    resolved_at = datetime.fromisoformat(detail["resolved_at"])
    with httpx.Client(base_url=gateway, timeout=15) as client:
        stored = _alerts(client, _admin(client), service)
    # Every alert on the incident arrived before its resolve; the firing ones are now resolved.
    for item in stored:
        if item["incident_id"] == incident_id:
            assert datetime.fromisoformat(item["received_at"]) <= resolved_at
    assert {a["status"] for a in stored} == {"resolved"}
    seen = client_metrics(running_stack)
    assert 'integration_events_total{outcome="resolved",type="alertmanager"}' in seen


def client_metrics(stack: Stack) -> str:
    return httpx.get(f"{stack.urls['alert-ingestion']}/metrics", timeout=10).text


def test_a_prometheus_rule_that_fires_opens_an_incident_through_alertmanager(
    running_stack: Stack, tmp_path: Path
) -> None:
    gateway = running_stack.urls["api-gateway"]
    service = f"api-{uuid.uuid4().hex[:6]}"
    rule = f"""
groups:
  - name: e2e
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {{severity: warning, service: {service}}}
        annotations: {{summary: "The e2e rule fires"}}
"""
    with httpx.Client(base_url=gateway, timeout=15) as client:
        admin = _admin(client)
        created = _integration(client, admin, type="alertmanager")
        config = tools.alertmanager_config(
            url=f"{gateway}/api/v1/integrations/alertmanager",
            key=created["key"],
            repeat_interval="1h",
        )
        with (
            tools.alertmanager(tmp_path / "am", config) as am,
            tools.prometheus(tmp_path / "prom", alertmanager_url=am, rule=rule),
        ):
            [alert] = tools.within(
                DELIVERY_BOUND_SECONDS,
                "Prometheus -> Alertmanager -> platform",
                lambda: [a for a in _alerts(client, admin, service) if a["incident_id"]],
            )
        detail = _incident(client, admin, alert["incident_id"])
    assert (detail["status"], detail["severity"], detail["service"]) == ("open", "medium", service)
    assert alert["message"] == "The e2e rule fires"
    assert "/graph?g0.expr=vector" in alert["details"]["generator_url"]


def test_pagerduty_client_trigger_acknowledge_resolve(running_stack: Stack, tmp_path: Path) -> None:
    gateway = running_stack.urls["api-gateway"]
    with (
        tools.tls_front(tmp_path / "tls", gateway) as (public, cert),
        httpx.Client(base_url=gateway, timeout=15) as client,
    ):
        admin = _admin(client)
        created = _integration(client, admin, type="pagerduty", default_service="db")
        base = f"{public}/api/v1/integrations/pagerduty"
        assert created["inbound_url"].endswith("/api/v1/integrations/pagerduty")
        # PagerDuty's client, unchanged but for the base URL (and trusting the test's cert).
        events = pagerduty.EventsApiV2Client(
            created["key"], base_url=base, verify=tools.trusting(cert)
        )
        dedup_key = f"disk-{uuid.uuid4().hex[:8]}"
        assert (
            events.trigger("Disk 95% full on db-1", "db-1", dedup_key=dedup_key, severity="error")
            == dedup_key
        )

        alerts = client.get("/api/v1/alerts", params={"service": "db", "limit": 500}, headers=admin)
        [alert] = [a for a in alerts.json()["items"] if a["message"] == "Disk 95% full on db-1"]
        incident_id = alert["incident_id"]
        assert incident_id and alert["severity"] == "high"

        assert events.acknowledge(dedup_key) == dedup_key
        acked = _incident(client, admin, incident_id)
        assert (acked["status"], acked["acknowledged_by"]) == (
            "acknowledged",
            f"integration:{created['name']}",
        )
        assert events.resolve(dedup_key) == dedup_key
        resolved = _incident(client, admin, incident_id)
        assert (resolved["status"], resolved["resolved_by"]) == (
            "resolved",
            f"integration:{created['name']}",
        )
        # A trigger without a dedup_key gets one generated and returned.
        generated = events.trigger("Replica lag", "db-2")
        assert generated and generated != dedup_key
        # A wrong routing key is refused, in PagerDuty's dialect.
        wrong = client.post(
            "/api/v1/integrations/pagerduty/v2/enqueue",
            json={"routing_key": "R0UTINGKEY00000000000000000000000", "event_action": "trigger"},
        )
        assert wrong.status_code == 401 and wrong.json()["status"] == "invalid event"
        # And the integration key is no credential for the rest of the API.
        denied = client.get(
            "/api/v1/incidents", headers={"Authorization": f"Bearer {created['key']}"}
        )
        assert denied.status_code == 401
