"""POST/GET /api/v1/alerts: bodies, batch, listing, fingerprint, bad input."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from nightwatch_ingestion.alerts.fingerprint import fingerprint


def test_fingerprint_is_stable_and_ignores_label_order() -> None:
    a = fingerprint(service="api", severity="high", message="m", labels={"a": "1", "b": "2"})
    b = fingerprint(service="api", severity="high", message="m", labels={"b": "2", "a": "1"})
    assert a == b and len(a) == 64
    assert a != fingerprint(service="api", severity="high", message="m", labels={"a": "1"})
    assert a != fingerprint(service="api", severity="low", message="m", labels={"a": "1", "b": "2"})
    # Stable across releases: a stored fingerprint must keep matching new alerts.
    assert fingerprint(service="s", severity="low", message="x", labels={}) == (
        "dbfc2df142421541908d543da2add057aeb7bbf23264c532faf9692ebeec134a"
    )


async def test_get_alert_returns_what_was_stored_with_utc_times(
    client: Any, make_alert: Any
) -> None:
    posted = (
        await client.post(
            "/api/v1/alerts",
            json=make_alert(labels={"env": "production"}, timestamp="2026-02-09T15:30:00"),
        )
    ).json()
    got = await client.get(f"/api/v1/alerts/{posted['alert_id']}")
    assert got.status_code == 200
    body = got.json()
    assert body["id"] == posted["alert_id"]
    assert body["labels"] == {"env": "production"}
    assert body["timestamp"].replace("Z", "+00:00") == "2026-02-09T15:30:00+00:00"  # no zone: UTC
    assert body["incident_id"] == posted["incident_id"]
    assert body["result"] == "new_incident"
    assert body["team"] == "unrouted"  # no label, rule or catch-all: routed nowhere


async def test_timestamp_with_offset_is_converted_and_missing_timestamp_is_arrival(
    client: Any, clock: Any, make_alert: Any
) -> None:
    offset = (
        await client.post("/api/v1/alerts", json=make_alert(timestamp="2026-02-09T17:30:00+02:00"))
    ).json()
    missing = (await client.post("/api/v1/alerts", json=make_alert(message="other"))).json()
    a = (await client.get(f"/api/v1/alerts/{offset['id']}")).json()
    b = (await client.get(f"/api/v1/alerts/{missing['id']}")).json()
    assert a["timestamp"].replace("Z", "+00:00") == "2026-02-09T15:30:00+00:00"
    assert b["timestamp"] == b["received_at"]
    assert b["received_at"].replace("Z", "+00:00") == clock.now().isoformat()


async def test_unknown_alert_is_404_and_malformed_id_is_422(client: Any) -> None:
    missing = await client.get(f"/api/v1/alerts/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = await client.get("/api/v1/alerts/not-a-uuid")
    assert bad.status_code == 422


async def test_batch_answers_per_alert_in_order(client: Any, make_alert: Any) -> None:
    batch = [make_alert(message=f"m{i % 3}") for i in range(7)] + [make_alert(severity="critical")]
    response = await client.post("/api/v1/alerts", json=batch)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["accepted"] == 8 and body["pending"] == 0
    results = [r["result"] for r in body["results"]]
    assert results == [
        "new_incident",
        "correlated",
        "correlated",
        "duplicate",
        "duplicate",
        "duplicate",
        "duplicate",
        "new_incident",
    ]
    assert len({r["alert_id"] for r in body["results"]}) == 8
    assert body["results"][0]["fingerprint"] == body["results"][3]["fingerprint"]


async def test_batch_limits(client: Any, make_alert: Any) -> None:
    assert (await client.post("/api/v1/alerts", json=[])).status_code == 422
    too_many = await client.post("/api/v1/alerts", json=[make_alert(message="x")] * 1001)
    assert too_many.status_code == 422
    thousand = await client.post(
        "/api/v1/alerts", json=[make_alert(message=f"m{i}") for i in range(1000)]
    )
    assert thousand.status_code == 201 and thousand.json()["accepted"] == 1000


async def test_list_is_newest_first_paginated_by_cursor_and_filtered(
    client: Any, clock: Any, make_alert: Any, service_name: str
) -> None:
    ids = []
    for i in range(5):
        clock.advance(1)
        ids.append(
            (await client.post("/api/v1/alerts", json=make_alert(message=f"m{i}"))).json()["id"]
        )
    low = (await client.post("/api/v1/alerts", json=make_alert(severity="low"))).json()
    first = (
        await client.get(
            "/api/v1/alerts", params={"service": service_name, "severity": "high", "limit": 2}
        )
    ).json()
    assert [a["id"] for a in first["items"]] == ids[::-1][:2]
    second = (
        await client.get(
            "/api/v1/alerts",
            params={
                "service": service_name,
                "severity": "high",
                "limit": 2,
                "cursor": first["next_cursor"],
            },
        )
    ).json()
    third = (
        await client.get(
            "/api/v1/alerts",
            params={
                "service": service_name,
                "severity": "high",
                "limit": 2,
                "cursor": second["next_cursor"],
            },
        )
    ).json()
    assert [a["id"] for a in second["items"] + third["items"]] == ids[::-1][2:]
    assert third["next_cursor"] is None
    by_incident = (
        await client.get("/api/v1/alerts", params={"incident_id": low["incident_id"]})
    ).json()
    assert [a["id"] for a in by_incident["items"]] == [low["id"]]
    start = clock.now()
    ranged = (
        await client.get(
            "/api/v1/alerts",
            params={
                "service": service_name,
                "since": "2026-02-09T15:30:02",
                "until": start.isoformat(),
            },
        )
    ).json()
    assert [a["id"] for a in ranged["items"]] == ids[::-1][1:4]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 422),
        ({"limit": 501}, 422),
        ({"limit": -5}, 422),
        ({"limit": 2**70}, 422),
        ({"cursor": "garbage!"}, 422),
        ({"incident_id": "nope"}, 422),
        ({"severity": "urgent"}, 422),
        ({"since": "yesterday"}, 422),
        ({"service": "a\x00b"}, 422),
    ],
)
async def test_bad_list_parameters_are_422(
    client: Any, params: dict[str, Any], status: int
) -> None:
    response = await client.get("/api/v1/alerts", params=params)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"severity": "urgent"}, "severity"),
        ({"severity": None}, "severity"),
        ({"service": ""}, "service"),
        ({"service": "   "}, "service"),
        ({"service": "x" * 201}, "service"),
        ({"message": "x" * 4097}, "message"),
        ({"message": "bad\x00byte"}, "message"),
        ({"message": 12}, "message"),
        ({"labels": {"nested": {"a": "b"}}}, "labels"),
        ({"labels": ["a"]}, "labels"),
        ({"labels": {"k": 5}}, "labels"),
        ({"labels": {f"k{i}": "v" for i in range(65)}}, "labels"),
        ({"labels": {"k": "v" * 1025}}, "labels"),
        ({"labels": {"k\x00": "v"}}, "labels"),
        ({"labels": {"team": "t" * 201}}, "labels"),
        ({"timestamp": "not a time"}, "timestamp"),
        ({"timestamp": 2**70}, "timestamp"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
async def test_bad_alert_is_422_naming_the_field(
    client: Any, make_alert: Any, change: dict[str, Any], where: str
) -> None:
    body = make_alert()
    body.update(change)
    if change.get("severity", "") is None:
        del body["severity"]
    response = await client.post("/api/v1/alerts", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert where in error["message"]


async def test_unknown_severity_names_the_allowed_values(client: Any, make_alert: Any) -> None:
    response = await client.post("/api/v1/alerts", json=make_alert(severity="urgent"))
    message = response.json()["error"]["message"]
    for allowed in ("critical", "high", "medium", "low"):
        assert allowed in message


async def test_severity_is_case_insensitive(client: Any, make_alert: Any) -> None:
    response = await client.post("/api/v1/alerts", json=make_alert(severity="HIGH"))
    assert response.status_code == 201


async def test_malformed_json_is_400_and_huge_body_is_413(client: Any) -> None:
    malformed = await client.post(
        "/api/v1/alerts", content=b'{"service": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"
    huge = await client.post(
        "/api/v1/alerts",
        content=b'{"service": "' + b"x" * (1024 * 1024 + 10) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413
    not_object = await client.post("/api/v1/alerts", json="just a string")
    assert not_object.status_code == 422


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [("latin-1", "latin-1"), ("iso-8859-1", "latin-1"), ("utf-16", "utf-16"), ("cp1252", "cp1252")],
)
async def test_a_body_in_another_charset_is_refused_with_415(
    client: Any, make_alert: Any, charset: str, encoding: str
) -> None:
    """JSON is UTF-8 (RFC 8259): another declared charset is a clear 415, never stored garbled."""
    body = json.dumps(make_alert(message="Caf\u00e9 down"), ensure_ascii=False).encode(encoding)
    answer = await client.post(
        "/api/v1/alerts",
        content=body,
        headers={"Content-Type": f"application/json; charset={charset}"},
    )
    assert answer.status_code == 415, answer.text
    error = answer.json()["error"]
    assert error["code"] == "unsupported_charset"
    assert f"charset={charset}" in error["message"] and "UTF-8" in error["message"]


async def test_utf8_with_or_without_charset_is_accepted_and_undecodable_bytes_are_400(
    client: Any, make_alert: Any
) -> None:
    text = json.dumps(make_alert(message="Caf\u00e9 down"), ensure_ascii=False)
    for content_type in ("application/json", "application/json; charset=UTF-8"):
        answer = await client.post(
            "/api/v1/alerts", content=text.encode(), headers={"Content-Type": content_type}
        )
        assert answer.status_code in (201, 202), answer.text
    garbled = await client.post(
        "/api/v1/alerts",
        content=text.encode("latin-1"),
        headers={"Content-Type": "application/json"},
    )
    assert garbled.status_code == 400, garbled.text
    assert "UTF-8" in garbled.json()["error"]["message"]
