"""The gateway in front of the real services (`make up` stack): log in, act through the proxy,
and the service records the gateway's authenticated actor, not what the client claimed."""

from __future__ import annotations

import uuid

import httpx
from nightwatch_gateway.proxy.routes import RouteTable
from nightwatch_gateway.settings import GatewaySettings

from tests.stack_runner import ADMIN, Stack


def _login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_gateway_authenticates_routes_and_sets_the_actor(running_stack: Stack) -> None:
    with httpx.Client(base_url=running_stack.urls["api-gateway"], timeout=15) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert {
            "alert-ingestion",
            "incident-management",
            "oncall-escalation",
            "notification",
        } <= set(ready.json()["checks"])
        assert client.get("/api/v1/incidents").status_code == 401

        admin = _login(client, *ADMIN)
        username, password = f"resp-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
        created = client.post(
            "/api/v1/accounts",
            json={
                "username": username,
                "password": password,
                "role": "responder",
                "must_change_password": False,
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        responder = _login(client, username, password)

        incident = client.post(
            "/api/v1/incidents",
            json={
                "title": "Checkout 5xx",
                "service": "checkout",
                "severity": "high",
                "description": "e2e",
            },
            headers={**responder, "X-Actor": "somebody-else", "X-Request-ID": "e2e-gateway-1"},
        )
        assert incident.status_code == 201, incident.text
        assert incident.headers["x-request-id"] == "e2e-gateway-1"
        incident_id = incident.json()["id"]

        acked = client.patch(
            f"/api/v1/incidents/{incident_id}", json={"status": "acknowledged"}, headers=responder
        )
        assert acked.status_code == 200, acked.text
        detail = client.get(f"/api/v1/incidents/{incident_id}", headers=responder).json()
        actors = {entry["actor"] for entry in detail["timeline"]}
        assert username in actors
        assert "somebody-else" not in actors

        viewer_key = client.post(
            "/api/v1/api-keys", json={"name": "e2e-viewer", "role": "viewer"}, headers=admin
        )
        viewer = {"X-API-Key": viewer_key.json()["key"]}
        assert client.get(f"/api/v1/incidents/{incident_id}", headers=viewer).status_code == 200
        refused = client.patch(
            f"/api/v1/incidents/{incident_id}", json={"status": "resolved"}, headers=viewer
        )
        assert refused.status_code == 403

        document = client.get("/openapi.json").json()
        assert "/api/v1/incidents/{incident_id}" in document["paths"]
        assert not any(path.startswith("/internal/") for path in document["paths"])


def test_every_public_path_of_every_service_is_routed_to_it(running_stack: Stack) -> None:
    urls = running_stack.urls
    table = RouteTable(
        GatewaySettings(
            alert_ingestion_url=urls["alert-ingestion"],
            incident_management_url=urls["incident-management"],
            oncall_url=urls["oncall-escalation"],
            notification_url=urls["notification"],
        )
    )
    checked = 0
    for service in ("alert-ingestion", "incident-management", "oncall-escalation", "notification"):
        paths = httpx.get(f"{urls[service]}/openapi.json", timeout=15).json()["paths"]
        for path in paths:
            if path.startswith("/api/v1/"):
                upstream = table.match(path)
                assert upstream is not None and upstream.service == service, (service, path)
                checked += 1
            else:
                assert table.match(path) is None, path
    assert checked > 10


def test_redirects_and_headers_do_not_leak_the_services_behind_the_gateway(
    running_stack: Stack,
) -> None:
    """A trailing slash's 307 names a path on the public address, not 127.0.0.1:8002 (following
    that would skip the gateway); a proxied answer has one date and one server header."""
    service_ports = {url.rsplit(":", 1)[1] for url in running_stack.urls.values()}
    for base in (running_stack.urls["api-gateway"], running_stack.ui_url):
        with httpx.Client(base_url=base, timeout=15, follow_redirects=False) as client:
            admin = _login(client, *ADMIN)
            slashed = client.get("/api/v1/incidents/", headers=admin)
            assert slashed.status_code == 307, slashed.text
            assert slashed.headers["location"] == "/api/v1/incidents"
            followed = client.get(slashed.headers["location"], headers=admin)
            assert followed.status_code == 200, followed.text
            for answer in (slashed, followed):
                assert len(answer.headers.get_list("date")) == 1, answer.headers
                assert len(answer.headers.get_list("server")) == 1, answer.headers
                assert not any(port in answer.headers.get("location", "") for port in service_ports)


def test_through_nginx_wrong_logins_from_one_address_hit_429(running_stack: Stack) -> None:
    """The bundled nginx appends the address it saw; whatever the client wrote before it, one
    client guessing one account's password is limited (RATE_LIMIT_LOGIN, 10 a minute)."""
    username = f"nobody-{uuid.uuid4().hex[:8]}"  # not admin: other tests still log in
    statuses = []
    with httpx.Client(base_url=running_stack.ui_url, timeout=15) as client:
        for attempt in range(150):
            answer = client.post(
                "/api/v1/auth/login",
                json={"username": username, "password": f"guess-{attempt}"},
                headers={"X-Forwarded-For": f"10.{attempt}.0.1"},
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:  # stop: the address's own limit is shared with others
                break
    assert statuses == [401] * 10 + [429]
