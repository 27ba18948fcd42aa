"""Escalation policy CRUD and its 4xx answers (never 5xx)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from .conftest import World, user_level


async def test_policy_crud(client: httpx.AsyncClient, world: World) -> None:
    alice = await world.user("Alice")
    team = await world.team("crud", alice)
    created = await world.policy(
        team,
        [
            user_level(alice, delay=5),
            {"targets": [{"type": "team", "id": team}], "delay_minutes": 10},
        ],
        repeat_count=2,
    )
    assert created["team"] == team and created["version"] == 1 and created["repeat_count"] == 2
    assert created["levels"][1]["targets"][0]["type"] == "team"

    listed = await client.get("/api/v1/escalation-policies", params={"team": team})
    assert [p["id"] for p in listed.json()["items"]] == [created["id"]]

    duplicate = await client.post(
        "/api/v1/escalation-policies",
        json={"team": team, "name": "second", "levels": [user_level(alice)]},
    )
    assert duplicate.status_code == 409

    patched = await client.patch(
        f"/api/v1/escalation-policies/{created['id']}", json={"name": "renamed", "repeat_count": 0}
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "renamed" and patched.json()["version"] == 2

    deleted = await client.delete(f"/api/v1/escalation-policies/{created['id']}")
    assert deleted.status_code == 204
    gone = await client.get(f"/api/v1/escalation-policies/{created['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


def _policy(team: str, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "team": team,
        "name": "p",
        "levels": [{"targets": [{"type": "user", "id": user_id}], "delay_minutes": 5}],
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"team": "no-such-team"}, "unknown_team"),
        ({"levels": []}, "validation_error"),
        ({"repeat_count": 10}, "validation_error"),
        ({"repeat_count": -1}, "validation_error"),
        ({"repeat_count": 2**70}, "validation_error"),
        (
            {"levels": [{"targets": [{"type": "user", "id": "U"}], "delay_minutes": 0}]},
            "validation_error",
        ),
        (
            {"levels": [{"targets": [{"type": "user", "id": "U"}], "delay_minutes": -5}]},
            "validation_error",
        ),
        ({"levels": [{"targets": [], "delay_minutes": 5}]}, "validation_error"),
        (
            {
                "levels": [
                    {"targets": [{"type": "user", "id": str(uuid.uuid4())}], "delay_minutes": 5}
                ]
            },
            "unknown_user",
        ),
        (
            {"levels": [{"targets": [{"type": "user", "id": "not-a-uuid"}], "delay_minutes": 5}]},
            "unknown_user",
        ),
        (
            {
                "levels": [
                    {"targets": [{"type": "schedule", "id": str(uuid.uuid4())}], "delay_minutes": 5}
                ]
            },
            "unknown_schedule",
        ),
        (
            {"levels": [{"targets": [{"type": "team", "id": "nope"}], "delay_minutes": 5}]},
            "unknown_team",
        ),
        (
            {"levels": [{"targets": [{"type": "pager", "id": "x"}], "delay_minutes": 5}]},
            "validation_error",
        ),
        ({"name": "bad\x00name"}, "validation_error"),
        ({"name": "x" * 201}, "validation_error"),
    ],
)
async def test_bad_policies_are_4xx(
    client: httpx.AsyncClient, world: World, change: dict[str, Any], code: str
) -> None:
    alice = await world.user("Alice")
    team = await world.team("bad", alice)
    body = _policy(team, alice["id"], change)
    for level in body["levels"]:
        for target in level["targets"]:
            if target["id"] == "U":
                target["id"] = alice["id"]
    response = await client.post("/api/v1/escalation-policies", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"] == code


async def test_bad_escalation_requests_are_4xx(client: httpx.AsyncClient) -> None:
    cases = [
        ("/internal/v1/escalations", {"incident_id": "nope", "team": "t"}),
        ("/internal/v1/escalations", {"incident_id": str(uuid.uuid4()), "team": ""}),
        (
            "/internal/v1/escalations",
            {"incident_id": str(uuid.uuid4()), "team": "t", "severity": "x"},
        ),
        (f"/internal/v1/escalations/{uuid.uuid4()}/stop", {"reason": "bored", "actor": "a"}),
        ("/internal/v1/escalations/not-a-uuid/stop", {"reason": "resolved", "actor": "a"}),
        ("/api/v1/escalate", {"incident_id": str(uuid.uuid4()), "team": "a\x00b"}),
    ]
    for path, body in cases:
        response = await client.post(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
    listing = await client.get("/api/v1/escalations", params={"limit": 10**30})
    assert listing.status_code == 422
    missing = await client.get(f"/api/v1/escalations/{uuid.uuid4()}")
    assert missing.status_code == 404
