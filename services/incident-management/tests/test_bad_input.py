"""Bad input is a clear 4xx in the common error body, never a 5xx."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

VALID = {"title": "t", "service": "api", "severity": "high", "description": "d"}


async def test_unknown_severity_names_the_allowed_values(helpers: Any) -> None:
    response = await helpers.client.post("/api/v1/incidents", json={**VALID, "severity": "urgent"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    for severity in ("critical", "high", "medium", "low"):
        assert severity in error["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"title": None},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 501},
        {"title": "nul\u0000byte"},
        {"title": 2**70},
        {"title": 12},
        {"service": "s" * 201},
        {"description": "d" * 100_001},
        {"description": "a\u0000b"},
        {"team": "t" * 201},
        {"assignee": ""},
        {"assignee": "a" * 201},
        {"severity": 1},
    ],
)
async def test_create_rejects_bad_fields_with_422(helpers: Any, change: dict[str, Any]) -> None:
    response = await helpers.client.post("/api/v1/incidents", json={**VALID, **change})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


async def test_missing_fields_malformed_json_and_huge_body(helpers: Any) -> None:
    missing = await helpers.client.post("/api/v1/incidents", json={"title": "t"})
    assert missing.status_code == 422
    malformed = await helpers.client.post(
        "/api/v1/incidents", content=b'{"title": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    huge = await helpers.client.post(
        "/api/v1/incidents",
        content=b"x" * (1024 * 1024 + 1),
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413


async def test_malformed_uuid_is_422_and_unknown_id_is_404(helpers: Any) -> None:
    for path in ("/api/v1/incidents/not-a-uuid", "/api/v1/incidents/not-a-uuid/metrics"):
        assert (await helpers.client.get(path)).status_code == 422
    bad_patch = await helpers.client.patch("/api/v1/incidents/123", json={"status": "resolved"})
    assert bad_patch.status_code == 422
    unknown = uuid.uuid4()
    for response in (
        await helpers.client.get(f"/api/v1/incidents/{unknown}"),
        await helpers.client.get(f"/api/v1/incidents/{unknown}/metrics"),
        await helpers.client.patch(f"/api/v1/incidents/{unknown}", json={"status": "resolved"}),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert str(unknown) in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": None},
        {"status": "closed"},
        {"stauts": "resolved"},
        {"notes": ""},
        {"notes": "n" * 10_001},
        {"assignee": 5},
        {"notes": "a\u0000"},
    ],
)
async def test_patch_rejects_bad_bodies(helpers: Any, body: dict[str, Any]) -> None:
    incident = await helpers.create()
    response = await helpers.patch(incident["id"], body)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": -1},
        {"limit": 2**70},
        {"offset": -5},
        {"offset": 10**30},
        {"status": "closed"},
        {"severity": "urgent"},
        {"sort": "title"},
        {"since": "yesterday"},
        {"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        {"service": "s" * 201},
        {"service": "a\u0000b"},
    ],
)
async def test_list_rejects_absurd_parameters(helpers: Any, params: dict[str, Any]) -> None:
    response = await helpers.client.get("/api/v1/incidents", params=params)
    assert response.status_code == 422, response.text


async def test_unknown_status_filter_names_the_allowed_values(helpers: Any) -> None:
    response = await helpers.client.get("/api/v1/incidents", params={"status": "open,closed"})
    message = response.json()["error"]["message"]
    assert "closed" in message and "in_progress" in message


async def test_bad_headers_are_422(helpers: Any) -> None:
    too_long = await helpers.client.post(
        "/api/v1/incidents", json=VALID, headers={"Idempotency-Key": "k" * 256}
    )
    assert too_long.status_code == 422
    actor = await helpers.client.post(
        "/api/v1/incidents", json=VALID, headers={"X-Actor": "a" * 201}
    )
    assert actor.status_code == 422
