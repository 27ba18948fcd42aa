"""The role matrix of docs/gateway.md, through the proxy to a real upstream, for every route the
services really serve (read from their OpenAPI, service_routes.py): no credential, a bad one, an
expired one, a revoked key, the wrong role and the right role. And the route table against the
same routes: no prefix routed to nothing, no public route left unrouted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from nightwatch_gateway.auth.credentials import issue_token
from nightwatch_gateway.auth.policy import Need, need_for
from nightwatch_gateway.proxy.routes import (
    DEFAULT_PREFIXES,
    RouteTable,
    is_event_stream,
    is_inbound,
)
from nightwatch_gateway.settings import GatewaySettings

from .conftest import ADMIN, TEST_JWT_SECRET, admin_headers, make_account, make_key
from .service_routes import DELIBERATELY_INTERNAL, concrete, service_routes

# Rows of docs/gateway.md's matrix, checked by hand against the rule table: (method, path
# template, need). Each must be a real route of its service (read from its OpenAPI).
DOCUMENTED = [
    ("GET", "/api/v1/incidents", Need.read),
    # the dashboard's aggregates: any role may read them
    ("GET", "/api/v1/incidents/stats/by-group", Need.read),
    ("GET", "/api/v1/alerts/stats/timeseries", Need.read),
    ("GET", "/api/v1/oncall/current", Need.read),
    ("POST", "/api/v1/alerts", Need.ingest),
    ("PATCH", "/api/v1/incidents/{incident_id}", Need.write),
    ("POST", "/api/v1/incidents", Need.write),
    ("POST", "/api/v1/incidents/bulk", Need.write),
    ("POST", "/api/v1/escalate", Need.write),
    ("POST", "/api/v1/schedules", Need.admin),
    ("DELETE", "/api/v1/schedules/{schedule_id}", Need.admin),
    ("POST", "/api/v1/schedules/{schedule_id}/overrides", Need.admin),
    ("POST", "/api/v1/users", Need.admin),
    ("PATCH", "/api/v1/teams/{team}", Need.admin),
    ("POST", "/api/v1/escalation-policies", Need.admin),
    ("POST", "/api/v1/notify", Need.admin),
    ("GET", "/api/v1/notifications/channels", Need.read),
    # Integrations hold keys: reading them is admin's too.
    ("GET", "/api/v1/integrations", Need.admin),
    ("GET", "/api/v1/integrations/{integration_id}", Need.admin),
    ("POST", "/api/v1/integrations", Need.admin),
    ("POST", "/api/v1/integrations/{integration_id}/rotate-key", Need.admin),
    # Silences (issue #16): responders create and expire them; maintenance windows are admin's.
    ("GET", "/api/v1/silences", Need.read),
    ("POST", "/api/v1/silences", Need.write),
    ("POST", "/api/v1/silences/{silence_id}/expire", Need.write),
    ("GET", "/api/v1/maintenance-windows", Need.read),
    ("POST", "/api/v1/maintenance-windows", Need.admin),
    ("DELETE", "/api/v1/maintenance-windows/{window_id}", Need.admin),
    # Heartbeats carry their ping URLs (keys): admin's, reading included.
    ("GET", "/api/v1/heartbeats", Need.admin),
    # Personal notification rules (issue #16): anyone reads, admin edits; responders may send a
    # test notification to a contact method.
    ("GET", "/api/v1/users/{user_id}/notification-rules", Need.read),
    ("PUT", "/api/v1/users/{user_id}/notification-rules", Need.admin),
    (
        "POST",
        "/api/v1/users/{user_id}/contact-methods/{contact_method_id}/test",
        Need.write,
    ),
    ("POST", "/api/v1/heartbeats", Need.admin),
    # Routing rules: anyone reads them and tries a sample alert; changing them is admin's.
    ("GET", "/api/v1/routing-rules", Need.read),
    ("POST", "/api/v1/routing-rules/test", Need.read),
    ("POST", "/api/v1/routing-rules", Need.admin),
    ("PUT", "/api/v1/routing-rules/order", Need.admin),
    ("PUT", "/api/v1/routing-rules/catch-all", Need.admin),
    ("DELETE", "/api/v1/routing-rules/{rule_id}", Need.admin),
]

# Every route the services serve through the gateway, with a request path and its need. The
# integrations' inbound endpoints take no gateway credential (test_inbound.py tests them).
ROUTES = sorted(
    (method, concrete(template), need_for(method, concrete(template)))
    for _, method, template in service_routes()
    if template.startswith("/api/v1/") and not is_inbound(method, template)
)


def _table() -> RouteTable:
    url = "http://127.0.0.1:9"
    return RouteTable(
        GatewaySettings(
            alert_ingestion_url=url,
            incident_management_url=url,
            oncall_url=url,
            notification_url=url,
            jwt_secret=TEST_JWT_SECRET,
        )
    )


def test_the_documented_rows_are_real_routes_and_the_rule_table_agrees() -> None:
    real = {(method, template) for _, method, template in service_routes()}
    for method, template, need in DOCUMENTED:
        assert (method, template) in real, f"{method} {template} is no route of any service"
        assert need_for(method, concrete(template)) is need, (method, template)
    assert len(ROUTES) > 60  # the services' routes were read, not an empty document


def test_every_prefix_the_gateway_routes_has_routes_on_its_service() -> None:
    for prefix, service in DEFAULT_PREFIXES.items():
        served = [
            template
            for owner, _, template in service_routes()
            if owner == service and (template == prefix or template.startswith(prefix + "/"))
        ]
        assert served, f"the gateway routes {prefix} to {service}, which serves nothing there"


def test_every_route_of_every_service_is_routed_to_it_or_deliberately_internal() -> None:
    table = _table()
    for service, method, template in service_routes():
        upstream = table.match(concrete(template))
        if DELIBERATELY_INTERNAL.fullmatch(template):
            assert upstream is None, f"{method} {template} of {service} must stay internal"
        else:
            assert upstream is not None, f"{method} {template} of {service} is not routed"
            assert upstream.service == service, (method, template, upstream.service)


# Who may do what: principal name -> the needs it satisfies.
ALLOWED = {
    "viewer": {Need.read},
    "responder": {Need.read, Need.write},
    "admin": {Need.read, Need.write, Need.ingest, Need.admin},
    "ingest_key": {Need.ingest},
    "viewer_ingest_key": {Need.read, Need.ingest},
    "responder_key": {Need.read, Need.write},
}


@pytest.fixture
async def principals(gateway: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    _, viewer = await make_account(gateway, "viewer")
    _, responder = await make_account(gateway, "responder")
    return {
        "viewer": viewer,
        "responder": responder,
        "admin": await admin_headers(gateway),
        "ingest_key": {"X-API-Key": (await make_key(gateway, permissions=["ingest"]))["key"]},
        "viewer_ingest_key": {
            "X-API-Key": (await make_key(gateway, role="viewer", permissions=["ingest"]))["key"]
        },
        "responder_key": {
            "Authorization": f"Bearer {(await make_key(gateway, role='responder'))['key']}"
        },
    }


async def test_right_role_passes_wrong_role_is_403(
    gateway: httpx.AsyncClient, principals: dict[str, dict[str, str]]
) -> None:
    for name, headers in principals.items():
        for method, path, need in ROUTES:
            response = await gateway.request(
                method, path, headers=headers, json={} if method != "GET" else None
            )
            if need in ALLOWED[name]:
                assert response.status_code in (200, 201), (name, method, path, response.text)
                if not is_event_stream(method, path):  # the upstream streams events there
                    assert response.json()["method"] == method
            else:
                assert response.status_code == 403, (name, method, path)
                assert response.json()["error"]["code"] == "forbidden"


async def test_no_bad_expired_or_revoked_credential_is_401_on_every_class(
    gateway: httpx.AsyncClient,
) -> None:
    admin = await admin_headers(gateway)
    revoked = await make_key(gateway, role="admin", permissions=["ingest"])
    assert (
        await gateway.delete(f"/api/v1/api-keys/{revoked['id']}", headers=admin)
    ).status_code == 200
    me = (await gateway.get("/api/v1/auth/me", headers=admin)).json()
    assert me["username"] == "admin"
    expired = issue_token(
        secret=TEST_JWT_SECRET,
        account_id="7b0e3c2e-1111-4a5b-9c1d-000000000001",
        username="admin",
        role="admin",
        token_version=1,
        now=datetime.now(UTC) - timedelta(days=1),
        ttl_seconds=3600,
    )
    credentials = {
        "none": {},
        "bad token": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
        "bad key": {"X-API-Key": "nwk_000000000000_notarealkey"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "revoked": {"X-API-Key": revoked["key"]},
    }
    for name, headers in credentials.items():
        for method, path, _ in ROUTES:
            response = await gateway.request(
                method, path, headers=headers, json={} if method != "GET" else None
            )
            assert response.status_code == 401, (name, method, path)
    for path in ("/api/v1/accounts", "/api/v1/api-keys", "/api/v1/auth/me"):
        assert (await gateway.get(path)).status_code == 401


async def test_health_metrics_and_login_need_no_credential(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/health")).status_code == 200
    assert (await gateway.get("/metrics")).status_code == 200
    assert (await gateway.get("/openapi.json")).status_code == 200
    assert (
        await gateway.post("/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    ).status_code == 200
