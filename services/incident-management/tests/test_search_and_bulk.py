"""Issue #15: the text search (`q=`), the partial service filter, and bulk acknowledge/resolve."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text


async def _ids(helpers: Any, **params: Any) -> list[str]:
    response = await helpers.client.get("/api/v1/incidents", params=params)
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["items"]]


async def test_q_finds_title_service_and_labels_in_any_case(helpers: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    by_title = await helpers.create(title=f"Disk FULL on db-{tag}")
    by_label = await helpers.create(description=f"Queue lag\nLabels: cluster=eu-{tag}, env=prod")
    other = await helpers.create(title="Nothing to see")
    assert await _ids(helpers, q=f"full on DB-{tag}") == [by_title["id"]]
    assert await _ids(helpers, q=f"cluster=EU-{tag}") == [by_label["id"]]
    mine = await _ids(helpers, q=helpers.service.upper())  # the service name is part of the text
    assert set(mine) == {by_title["id"], by_label["id"], other["id"]}
    combined = await _ids(helpers, q=tag, status="open", service=helpers.service)
    assert set(combined) == {by_title["id"], by_label["id"]}


async def test_q_treats_like_wildcards_as_plain_characters(helpers: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    percent = await helpers.create(title=f"CPU 100% {tag}")
    await helpers.create(title=f"CPU 1000 {tag}")
    assert await _ids(helpers, q=f"100% {tag}") == [percent["id"]]
    assert await _ids(helpers, q=f"_{tag}") == []
    assert await _ids(helpers, q="   ", service=helpers.service) != []  # blank: no filter


async def test_service_contains_matches_part_of_the_name_in_any_case(helpers: Any) -> None:
    incident = await helpers.create()
    middle = helpers.service[4:10].upper()
    assert await _ids(helpers, service_contains=middle) == [incident["id"]]
    # `service` stays the exact name it always was.
    assert await _ids(helpers, service=middle) == []


@pytest.mark.parametrize(
    ("params", "fragment"),
    [({"q": "x" * 201}, "q"), ({"q": "a\x00b"}, "NUL"), ({"service_contains": "s" * 201}, "")],
)
async def test_bad_search_input_is_a_clear_422(
    helpers: Any, params: dict[str, str], fragment: str
) -> None:
    response = await helpers.client.get("/api/v1/incidents", params=params)
    assert response.status_code == 422, response.text
    assert fragment in response.text


async def test_search_index_is_used_when_pg_trgm_is_installed(helpers: Any) -> None:
    async with helpers.app.state.sessionmaker() as session:
        installed = await session.scalar(
            text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
        )
        indexes = set(
            await session.scalars(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'incidents'")
            )
        )
    assert installed == 1, "the test server has contrib: the migration must have installed it"
    assert {"incidents_search_trgm_idx", "incidents_service_trgm_idx"} <= indexes


async def test_bulk_acknowledge_reports_each_incident(helpers: Any, neighbours: Any) -> None:
    first, second, done = await helpers.create(), await helpers.create(), await helpers.create()
    await helpers.patch(done["id"], {"status": "resolved"})
    unknown = str(uuid.uuid4())
    response = await helpers.client.post(
        "/api/v1/incidents/bulk",
        json={
            "action": "acknowledge",
            "incident_ids": [first["id"], done["id"], unknown, second["id"], first["id"]],
        },
        headers={"X-Actor": "alice"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ok"], body["failed"]) == (2, 2)
    results = {item["incident_id"]: item for item in body["results"]}
    assert [item["incident_id"] for item in body["results"]] == [
        first["id"],
        done["id"],
        unknown,
        second["id"],
    ]
    assert results[first["id"]]["status"] == 200
    assert results[first["id"]]["incident"]["status"] == "acknowledged"
    assert results[first["id"]]["incident"]["acknowledged_by"] == "alice"
    assert results[done["id"]]["status"] == 409
    assert results[done["id"]]["result"] == "invalid_transition"
    assert results[done["id"]]["current_status"] == "resolved"
    assert results[unknown] == {
        "incident_id": unknown,
        "status": 404,
        "result": "not_found",
        "message": f"Incident {unknown} not found",
        "current_status": None,
        "allowed_transitions": [],
        "incident": None,
    }
    # As a single acknowledge: the timeline says so and on-call was told to stop paging.
    detail = await helpers.detail(second["id"])
    assert detail["status"] == "acknowledged"
    assert [e["event_type"] for e in detail["timeline"]][-1] == "status_changed"
    assert {s["incident_id"] for s in neighbours.stops} >= {first["id"], second["id"]}


async def test_bulk_resolve_with_a_note(helpers: Any) -> None:
    opened, acked = await helpers.create(), await helpers.create()
    await helpers.patch(acked["id"], {"status": "acknowledged"})
    response = await helpers.client.post(
        "/api/v1/incidents/bulk",
        json={"action": "resolve", "incident_ids": [opened["id"], acked["id"]], "note": "rollback"},
    )
    assert response.status_code == 200, response.text
    assert [item["status"] for item in response.json()["results"]] == [200, 200]
    for incident_id in (opened["id"], acked["id"]):
        detail = await helpers.detail(incident_id)
        assert detail["status"] == "resolved"
        assert [n["body"] for n in detail["notes"]] == ["rollback"]


@pytest.mark.parametrize(
    "body",
    [
        {"action": "delete", "incident_ids": ["00000000-0000-0000-0000-000000000001"]},
        {"action": "resolve", "incident_ids": []},
        {"action": "resolve", "incident_ids": ["not-a-uuid"]},
        {"action": "resolve", "incident_ids": [str(uuid.uuid4()) for _ in range(201)]},
    ],
)
async def test_bulk_bad_bodies_are_422(helpers: Any, body: dict[str, Any]) -> None:
    response = await helpers.client.post("/api/v1/incidents/bulk", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
