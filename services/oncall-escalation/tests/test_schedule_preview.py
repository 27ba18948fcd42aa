"""POST /api/v1/schedules/preview: the shifts of an unsaved schedule, over real PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.fixture
async def ops(client: httpx.AsyncClient) -> dict[str, Any]:
    """Three people, by name -> id, in team ops."""
    ids = {}
    for name in ("Alice", "Bob", "Carol"):
        body = {"name": name, "email": f"{name.lower()}@preview.example.com"}
        response = await client.post("/api/v1/users", json=body)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    members = [{"user_id": user_id} for user_id in ids.values()]
    team = await client.post("/api/v1/teams", json={"name": "ops", "members": members})
    assert team.status_code == 201, team.text
    return ids


def daily(people: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "participants": people,
        "rotation_type": "daily",
        "start_date": "2026-01-05",
        "handoff_time": "09:00",
        **extra,
    }


async def test_preview_matches_the_saved_schedule_and_stores_nothing(
    client: httpx.AsyncClient, ops: dict[str, Any]
) -> None:
    layers = [
        daily([ops["Alice"], ops["Bob"]], name="Days"),
        {
            "participants": [ops["Carol"]],
            "rotation_type": "weekly",
            "start_date": "2026-01-05",
            "handoff_time": "09:00",
            "restrictions": [{"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}],
        },
    ]
    window = {"from": "2026-01-05T09:00:00Z", "to": "2026-01-12T09:00:00Z"}
    response = await client.post(
        "/api/v1/schedules/preview", json={"timezone": "UTC", "layers": layers, **window}
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    assert (preview["from"], preview["to"]) == (window["from"], window["to"])
    assert (await client.get("/api/v1/schedules")).json()["total"] == 0

    body = {"name": "Primary", "team": "ops", "timezone": "UTC", "layers": layers}
    saved = (await client.post("/api/v1/schedules", json=body)).json()
    shifts = await client.get(f"/api/v1/schedules/{saved['id']}/shifts", params=window)

    def plain(shift: dict[str, Any]) -> tuple[Any, ...]:
        return (shift["start"], shift["end"], shift["user"]["name"], shift["layer_level"])

    assert [plain(s) for s in preview["shifts"]] == [plain(s) for s in shifts.json()["shifts"]]
    assert [(s["user"]["name"], s["layer_name"]) for s in preview["shifts"][:3]] == [
        ("Alice", "Days"),
        ("Bob", "Days"),
        ("Alice", "Days"),
    ]
    # Saturday and Sunday belong to layer 2 (Carol), which wins over layer 1 where it is on.
    weekend = [s for s in preview["shifts"] if s["start"] == "2026-01-10T00:00:00Z"]
    assert [(s["user"]["name"], s["layer_name"]) for s in weekend] == [("Carol", "Layer 2")]
    assert all(s["layer_id"] is None for s in preview["shifts"])
    assert preview["gaps"] == []


async def test_preview_defaults_to_two_weeks_from_now(
    client: httpx.AsyncClient, ops: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/v1/schedules/preview", json={"layers": [daily([ops["Alice"]])]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # The test clock stands at 2026-01-05 12:00 UTC.
    assert (body["from"], body["to"]) == ("2026-01-05T12:00:00Z", "2026-01-19T12:00:00Z")
    assert body["timezone"] == "UTC"


async def test_preview_refuses_bad_input_with_a_message(
    client: httpx.AsyncClient, ops: dict[str, Any]
) -> None:
    layer = daily([ops["Alice"]])
    cases = [
        ({"layers": []}, 422),
        ({"layers": [{**layer, "participants": []}]}, 422),
        ({"layers": [{**layer, "handoff_time": "25:00"}]}, 422),
        ({"layers": [layer], "timezone": "Mars/Olympus"}, 422),
        ({"layers": [layer], "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, 422),
        ({"layers": [layer], "from": "2026-01-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"}, 422),
        ({"layers": [daily(["00000000-0000-4000-8000-000000000000"])]}, 404),
    ]
    for body, status in cases:
        response = await client.post("/api/v1/schedules/preview", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"], response.text
