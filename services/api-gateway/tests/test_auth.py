"""Login, tokens (pinned algorithm, expiry, revocation), accounts and API keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from nightwatch_gateway.auth.credentials import JWT_ISSUER, issue_token

from .conftest import ADMIN, TEST_JWT_SECRET, admin_headers, login, make_account, make_key


async def test_login_returns_the_contract_the_ui_builds_against(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/api/v1/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["user"] == {"username": "admin", "role": "admin", "must_change_password": False}
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "HS256"
    me = await gateway.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["username"] == "admin"
    assert me.json()["must_change_password"] is False


async def test_wrong_password_and_unknown_user_get_the_same_401(gateway: httpx.AsyncClient) -> None:
    wrong = await gateway.post("/api/v1/auth/login", json={"username": "admin", "password": "nope"})
    unknown = await gateway.post(
        "/api/v1/auth/login", json={"username": "ghost", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert "nope" not in wrong.text


async def test_bad_login_bodies_are_4xx(gateway: httpx.AsyncClient) -> None:
    for body in (
        {},
        {"username": "a"},
        {"username": "a\x00", "password": "b"},
        {"username": "a" * 5000, "password": "b"},
    ):
        response = await gateway.post("/api/v1/auth/login", json=body)
        assert response.status_code == 422, body
    malformed = await gateway.post(
        "/api/v1/auth/login", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400


def _token(**claims: object) -> str:
    now = datetime.now(UTC)
    payload: dict[str, object] = {
        "iss": JWT_ISSUER,
        "sub": str(uuid.uuid4()),
        "name": "admin",
        "role": "admin",
        "ver": 1,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    payload.update(claims)
    return jwt.encode(payload, TEST_JWT_SECRET, algorithm="HS256")


async def test_forged_expired_and_malformed_tokens_are_401(gateway: httpx.AsyncClient) -> None:
    admin = await admin_headers(gateway)
    me = (await gateway.get("/api/v1/auth/me", headers=admin)).json()
    assert me["kind"] == "user"
    real = admin["Authorization"].removeprefix("Bearer ")
    real_claims = jwt.decode(real, TEST_JWT_SECRET, algorithms=["HS256"], issuer=JWT_ISSUER)
    header_b64, payload_b64, _ = real.split(".")
    alg_none = jwt.encode(real_claims, None, algorithm="none")  # type: ignore[arg-type]
    other_key = jwt.encode(
        real_claims, "another-secret-that-is-long-enough-for-hs256", algorithm="HS256"
    )
    expired = issue_token(
        secret=TEST_JWT_SECRET,
        account_id=real_claims["sub"],
        username="admin",
        role="admin",
        token_version=real_claims["ver"],
        now=datetime.now(UTC) - timedelta(hours=2),
        ttl_seconds=3600,
    )
    cases = {
        "alg none": alg_none,
        "other key": other_key,
        "expired": expired,
        "tampered": f"{header_b64}.{payload_b64}x.sig",
        "garbage": "not-a-token",
        "unknown account": _token(),
        "huge": "a" * 10_000,
    }
    for name, token in cases.items():
        response = await gateway.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "unauthorized"
        assert token[:40] not in response.text
    assert (
        await gateway.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    ).status_code == 401
    non_ascii = await gateway.get(
        "/api/v1/auth/me", headers={"Authorization": "Bearer t\xf6k\xe9n".encode("latin-1")}
    )
    assert non_ascii.status_code == 401
    assert (await gateway.get("/api/v1/auth/me")).status_code == 401
    assert (
        "expired"
        in (
            await gateway.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
        ).json()["error"]["message"]
    )


async def test_change_password_revokes_old_tokens(gateway: httpx.AsyncClient) -> None:
    admin = await admin_headers(gateway)
    username = f"person-{uuid.uuid4().hex[:8]}"
    created = await gateway.post(
        "/api/v1/accounts",
        json={"username": username, "password": "first-password", "role": "viewer"},
        headers=admin,
    )
    assert created.status_code == 201
    assert created.json()["must_change_password"] is True
    assert "password" not in created.text.replace("must_change_password", "")
    old = await login(gateway, username, "first-password")
    wrong = await gateway.post(
        "/api/v1/auth/change-password",
        json={"current_password": "nope", "new_password": "second-password"},
        headers=old,
    )
    assert wrong.status_code == 400
    short = await gateway.post(
        "/api/v1/auth/change-password",
        json={"current_password": "first-password", "new_password": "x"},
        headers=old,
    )
    assert short.status_code == 422
    changed = await gateway.post(
        "/api/v1/auth/change-password",
        json={"current_password": "first-password", "new_password": "second-password"},
        headers=old,
    )
    assert changed.status_code == 204
    assert (await gateway.get("/api/v1/auth/me", headers=old)).status_code == 401
    fresh = await login(gateway, username, "second-password")
    me = await gateway.get("/api/v1/auth/me", headers=fresh)
    assert me.json()["must_change_password"] is False
    failed = await gateway.post(
        "/api/v1/auth/login", json={"username": username, "password": "first-password"}
    )
    assert failed.status_code == 401


async def test_accounts_are_admin_only_and_the_last_admin_is_kept(
    gateway: httpx.AsyncClient,
) -> None:
    admin = await admin_headers(gateway)
    _, responder = await make_account(gateway, "responder")
    assert (await gateway.get("/api/v1/accounts", headers=responder)).status_code == 403
    listing = await gateway.get("/api/v1/accounts", headers=admin)
    assert listing.status_code == 200
    accounts = listing.json()["items"]
    assert all("password_hash" not in a for a in accounts)
    admin_row = next(a for a in accounts if a["username"] == ADMIN[0])
    others = [
        a
        for a in accounts
        if a["role"] == "admin" and not a["disabled"] and a["username"] != "admin"
    ]
    if not others:
        demote = await gateway.patch(
            f"/api/v1/accounts/{admin_row['id']}", json={"role": "viewer"}, headers=admin
        )
        assert demote.status_code == 409
        assert demote.json()["error"]["code"] == "last_admin"
    duplicate = await gateway.post(
        "/api/v1/accounts", json={"username": "admin", "password": "whatever-long"}, headers=admin
    )
    assert duplicate.status_code == 409
    bad_name = await gateway.post(
        "/api/v1/accounts",
        json={"username": "has space", "password": "whatever-long"},
        headers=admin,
    )
    assert bad_name.status_code == 422
    assert (await gateway.get(f"/api/v1/accounts/{uuid.uuid4()}", headers=admin)).status_code == 404
    assert (await gateway.get("/api/v1/accounts/not-a-uuid", headers=admin)).status_code == 422


async def test_disabling_an_account_stops_its_token(gateway: httpx.AsyncClient) -> None:
    admin = await admin_headers(gateway)
    username, viewer = await make_account(gateway, "viewer")
    assert (await gateway.get("/api/v1/auth/me", headers=viewer)).status_code == 200
    account = next(
        a
        for a in (await gateway.get("/api/v1/accounts", headers=admin)).json()["items"]
        if a["username"] == username
    )
    disabled = await gateway.patch(
        f"/api/v1/accounts/{account['id']}", json={"disabled": True}, headers=admin
    )
    assert disabled.status_code == 200
    assert (await gateway.get("/api/v1/auth/me", headers=viewer)).status_code == 401
    deleted = await gateway.delete(f"/api/v1/accounts/{account['id']}", headers=admin)
    assert deleted.status_code == 204


async def test_api_key_is_shown_once_hashed_usable_and_revocable(
    gateway: httpx.AsyncClient,
) -> None:
    admin = await admin_headers(gateway)
    created = await make_key(gateway, name="alertmanager", permissions=["ingest"])
    secret = created["key"]
    assert secret.startswith(created["prefix"] + "_")
    assert created["role"] is None and created["permissions"] == ["ingest"]
    assert created["created_by"] == "admin"
    listing = (await gateway.get("/api/v1/api-keys", headers=admin)).text
    assert secret not in listing and created["prefix"] in listing
    one = await gateway.get(f"/api/v1/api-keys/{created['id']}", headers=admin)
    assert "key" not in one.json() and one.json()["last_used_at"] is None

    me = await gateway.get("/api/v1/auth/me", headers={"X-API-Key": secret})
    assert me.status_code == 200
    assert me.json()["actor"] == "api-key:alertmanager"
    as_bearer = await gateway.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert as_bearer.status_code == 200
    used = await gateway.get(f"/api/v1/api-keys/{created['id']}", headers=admin)
    assert used.json()["last_used_at"] is not None

    revoked = await gateway.delete(f"/api/v1/api-keys/{created['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    after = await gateway.get("/api/v1/auth/me", headers={"X-API-Key": secret})
    assert after.status_code == 401
    assert "revoked" in after.json()["error"]["message"]
    wrong_secret = secret[:-4] + "AAAA"
    assert (
        await gateway.get("/api/v1/auth/me", headers={"X-API-Key": wrong_secret})
    ).status_code == 401


async def test_api_key_expiry_and_bad_key_bodies(gateway: httpx.AsyncClient) -> None:
    admin = await admin_headers(gateway)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert (
        await gateway.post(
            "/api/v1/api-keys",
            json={"name": "x", "role": "viewer", "expires_at": past},
            headers=admin,
        )
    ).status_code == 422
    assert (
        await gateway.post("/api/v1/api-keys", json={"name": "x"}, headers=admin)
    ).status_code == 422
    assert (
        await gateway.post(
            "/api/v1/api-keys", json={"name": "x", "permissions": ["root"]}, headers=admin
        )
    ).status_code == 422
    assert (
        await gateway.post("/api/v1/api-keys", json={"name": "", "role": "viewer"}, headers=admin)
    ).status_code == 422
    soon = await make_key(
        gateway, role="viewer", expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()
    )
    me = await gateway.get("/api/v1/auth/me", headers={"X-API-Key": soon["key"]})
    assert me.status_code == 200, me.text


def test_every_generated_key_is_found_by_its_prefix() -> None:
    # The random part can contain "_" itself; the lookup must not depend on where.
    from nightwatch_gateway.auth.credentials import api_key_prefix, generate_api_key

    for _ in range(500):
        key = generate_api_key()
        assert api_key_prefix(key.secret) == key.prefix
    assert api_key_prefix("nwk_short") is None
