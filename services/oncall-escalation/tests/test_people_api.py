"""Users and teams over HTTP on real PostgreSQL."""

from __future__ import annotations

import httpx


async def make_user(client: httpx.AsyncClient, name: str, **extra: object) -> dict:
    response = await make_user_response(client, name, **extra)
    assert response.status_code == 201, response.text
    return response.json()


async def test_user_crud_with_contact_methods(client: httpx.AsyncClient) -> None:
    user = await make_user(
        client,
        "Alice",
        phone="+49 30 1234567",
        timezone="Europe/Berlin",
        contact_methods=[
            {"type": "email", "address": "alice@example.com"},
            {"type": "sms", "address": "+4930123"},
            {"type": "slack", "address": "U024BE7LH"},
            {"type": "webhook", "address": "https://hooks.example.com/alice"},
        ],
    )
    assert [m["type"] for m in user["contact_methods"]] == ["email", "sms", "slack", "webhook"]
    fetched = (await client.get(f"/api/v1/users/{user['id']}")).json()
    assert fetched["timezone"] == "Europe/Berlin"

    patched = await client.patch(
        f"/api/v1/users/{user['id']}",
        json={"name": "Alice B", "contact_methods": [{"type": "phone", "address": "+1 555 0100"}]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Alice B"
    assert [m["type"] for m in patched.json()["contact_methods"]] == ["phone"]

    listed = (await client.get("/api/v1/users", params={"q": "alice"})).json()
    assert [u["id"] for u in listed["items"]] == [user["id"]]

    assert (await client.delete(f"/api/v1/users/{user['id']}")).status_code == 204
    missing = await client.get(f"/api/v1/users/{user['id']}")
    assert missing.status_code == 404
    assert user["id"] in missing.json()["error"]["message"]


async def test_user_bad_input_is_4xx(client: httpx.AsyncClient) -> None:
    await make_user(client, "Bob")
    cases = [
        {"name": "X", "email": "not-an-email"},
        {"name": "X", "email": "x@example.com", "timezone": "Mars/Olympus"},
        {"name": "", "email": "x@example.com"},
        {"name": "X\x00", "email": "x@example.com"},
        {
            "name": "X",
            "email": "x@example.com",
            "contact_methods": [{"type": "pager", "address": "1"}],
        },
        {
            "name": "X",
            "email": "x@example.com",
            "contact_methods": [{"type": "email", "address": "nope"}],
        },
        {
            "name": "X",
            "email": "x@example.com",
            "contact_methods": [{"type": "webhook", "address": "ftp://x"}],
        },
        {"name": "X", "email": "x@example.com", "phone": "call me"},
    ]
    for body in cases:
        response = await client.post("/api/v1/users", json=body)
        assert response.status_code == 422, (body, response.text)
    duplicate = await client.post("/api/v1/users", json={"name": "B2", "email": "BOB@example.com"})
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["error"]["message"]
    assert (await client.get("/api/v1/users/not-a-uuid")).status_code == 422


async def test_team_by_name_or_id_with_members(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "Alice")
    bob = await make_user(client, "Bob")
    created = await client.post(
        "/api/v1/teams",
        json={"name": "payments", "description": "Pays", "members": [{"user_id": alice["id"]}]},
    )
    assert created.status_code == 201, created.text
    team = created.json()
    assert (await client.get("/api/v1/teams/payments")).json()["id"] == team["id"]
    assert (await client.get(f"/api/v1/teams/{team['id']}")).json()["name"] == "payments"

    added = await client.post(
        "/api/v1/teams/payments/members", json={"user_id": bob["id"], "role": "manager"}
    )
    assert added.status_code == 201
    members = (await client.get("/api/v1/teams/payments/members")).json()["items"]
    assert {(m["name"], m["role"]) for m in members} == {("Alice", "member"), ("Bob", "manager")}

    assert (await client.delete(f"/api/v1/teams/payments/members/{bob['id']}")).status_code == 204
    assert (await client.delete(f"/api/v1/teams/payments/members/{bob['id']}")).status_code == 404

    renamed = await client.patch("/api/v1/teams/payments", json={"name": "billing"})
    assert renamed.json()["name"] == "billing"
    assert (await client.get("/api/v1/teams/payments")).status_code == 404
    assert (await client.post("/api/v1/teams", json={"name": "billing"})).status_code == 409
    assert (await client.post("/api/v1/teams", json={"name": "Bad Name!"})).status_code == 422
    unknown_member = await client.post(
        "/api/v1/teams", json={"name": "x", "members": [{"user_id": team["id"]}]}
    )
    assert unknown_member.status_code == 404
    assert (await client.delete("/api/v1/teams/billing")).status_code == 204
    assert (await client.get("/api/v1/teams/billing")).status_code == 404


async def test_console_account_link_is_unique_findable_and_removable(
    client: httpx.AsyncClient,
) -> None:
    alice = await make_user(client, "Alice", console_account="alice.ops")
    assert alice["console_account"] == "alice.ops"
    bob = await make_user(client, "Bob")
    assert bob["console_account"] is None

    # Any case finds her; exactly one person per account.
    found = (await client.get("/api/v1/users", params={"console_account": "ALICE.OPS"})).json()
    assert [u["name"] for u in found["items"]] == ["Alice"] and found["total"] == 1
    taken = await client.patch(f"/api/v1/users/{bob['id']}", json={"console_account": "Alice.Ops"})
    assert taken.status_code == 409, taken.text
    assert "already linked to Alice" in taken.json()["error"]["message"]
    refused = await make_user_response(client, "Carol", console_account="alice.ops")
    assert refused.status_code == 409, refused.text
    bad = await make_user_response(client, "Dave", console_account="no spaces")
    assert bad.status_code == 422, bad.text

    # null unlinks; then Bob may take the account.
    unlinked = await client.patch(f"/api/v1/users/{alice['id']}", json={"console_account": None})
    assert unlinked.status_code == 200 and unlinked.json()["console_account"] is None
    moved = await client.patch(f"/api/v1/users/{bob['id']}", json={"console_account": "alice.ops"})
    assert moved.status_code == 200, moved.text
    found = (await client.get("/api/v1/users", params={"console_account": "alice.ops"})).json()
    assert [u["name"] for u in found["items"]] == ["Bob"]


async def make_user_response(
    client: httpx.AsyncClient, name: str, **extra: object
) -> httpx.Response:
    body = {"name": name, "email": f"{name.lower()}@example.com", **extra}
    return await client.post("/api/v1/users", json=body)
