"""The audit log: who did what to accounts, keys and (through the proxy) settings, and every
login, with address and request id; append-only in the database; `GET /api/v1/audit` (admin)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from .conftest import ADMIN, admin_headers, login, make_account


async def _audit(client: httpx.AsyncClient, admin: dict[str, str], **query: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/audit", params=query, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_logins_and_account_and_key_changes_are_recorded(gateway: httpx.AsyncClient) -> None:
    admin = await admin_headers(gateway)
    username, password = f"audited-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    created = await gateway.post(
        "/api/v1/accounts",
        json={"username": username, "password": password, "role": "viewer",
              "must_change_password": False},
        headers={**admin, "X-Request-ID": "audit-create-1"},
    )  # fmt: skip
    assert created.status_code == 201
    account_id = created.json()["id"]
    wrong = await gateway.post(
        "/api/v1/auth/login",
        json={"username": username, "password": "wrong"},
        headers={"X-Request-ID": "audit-login-bad"},
    )
    assert wrong.status_code == 401
    await login(gateway, username, password)
    promoted = await gateway.patch(
        f"/api/v1/accounts/{account_id}", json={"role": "responder"}, headers=admin
    )
    assert promoted.status_code == 200
    key = await gateway.post(
        "/api/v1/api-keys", json={"name": f"k-{username}", "permissions": ["ingest"]}, headers=admin
    )
    assert key.status_code == 201
    assert (await gateway.delete(f"/api/v1/api-keys/{key.json()['id']}", headers=admin)).is_success
    assert (await gateway.delete(f"/api/v1/accounts/{account_id}", headers=admin)).is_success

    logins = (await _audit(gateway, admin, actor=username, action="login"))["items"]
    assert [e["action"] for e in logins] == ["login.succeeded", "login.failed"]  # newest first
    failed = logins[1]
    assert failed["request_id"] == "audit-login-bad" and failed["address"] == "127.0.0.1"
    assert failed["target"] is None and logins[0]["target"] == account_id

    by_admin = (await _audit(gateway, admin, actor=ADMIN[0], limit=200))["items"]
    about = [e for e in by_admin if e["target"] in (account_id, key.json()["id"])]
    assert [e["action"] for e in reversed(about)] == [
        "account.created",
        "account.updated",
        "api_key.created",
        "api_key.revoked",
        "account.deleted",
    ]
    created_entry = about[-1]
    assert created_entry["request_id"] == "audit-create-1"
    assert created_entry["details"] == {"username": username, "role": "viewer"}
    assert about[-2]["details"] == {"role": "responder"}
    assert "password" not in str(by_admin).replace("password_reset", "")


async def test_settings_changed_through_the_proxy_are_recorded_reads_are_not(
    gateway: httpx.AsyncClient,
) -> None:
    admin = await admin_headers(gateway)
    path = f"/api/v1/schedules/{uuid.uuid4()}"
    assert (await gateway.put(path, json={"name": "x"}, headers=admin)).status_code == 200
    assert (await gateway.get(path, headers=admin)).status_code == 200
    entries = (await _audit(gateway, admin, action="settings.changed", limit=200))["items"]
    mine = [e for e in entries if e["target"].endswith(path)]
    assert len(mine) == 1
    assert mine[0]["target"] == f"PUT {path}" and mine[0]["actor"] == ADMIN[0]
    assert mine[0]["details"] == {"service": "oncall-escalation", "status": 200}


async def test_filters_pagination_and_who_may_read(gateway: httpx.AsyncClient) -> None:
    admin = await admin_headers(gateway)
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        bad = await gateway.post("/api/v1/auth/login", json={"username": ghost, "password": "x"})
        assert bad.status_code == 401
    first = await _audit(gateway, admin, actor=ghost, limit=2)
    second = await _audit(gateway, admin, actor=ghost, limit=2, offset=2)
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 3
    now = datetime.now(UTC)
    assert (
        await _audit(gateway, admin, actor=ghost, since=(now + timedelta(hours=1)).isoformat())
    )["total"] == 0
    assert (
        await _audit(gateway, admin, actor=ghost, until=(now - timedelta(hours=1)).isoformat())
    )["total"] == 0
    assert (await _audit(gateway, admin, actor=ghost, action="login.failed"))["total"] == 3
    assert (await _audit(gateway, admin, actor=ghost, action="account"))["total"] == 0
    naive = await gateway.get(
        "/api/v1/audit", params={"since": "2026-01-01T00:00:00"}, headers=admin
    )
    assert naive.status_code == 422
    bad_action = await gateway.get("/api/v1/audit", params={"action": "x;drop"}, headers=admin)
    assert bad_action.status_code == 422
    _, responder = await make_account(gateway, "responder")
    assert (await gateway.get("/api/v1/audit", headers=responder)).status_code == 403
    assert (await gateway.get("/api/v1/audit")).status_code == 401


async def test_the_database_keeps_the_log_append_only(db_engine: AsyncEngine) -> None:
    async with db_engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO gateway.audit_log (actor, action) VALUES ('t', 'test.append')")
        )
    for statement in (
        "UPDATE gateway.audit_log SET actor = 'someone-else' WHERE action = 'test.append'",
        "DELETE FROM gateway.audit_log WHERE action = 'test.append'",
        "TRUNCATE gateway.audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db_engine.begin() as connection:
                await connection.execute(text(statement))
