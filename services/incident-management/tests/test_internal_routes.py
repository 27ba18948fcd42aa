"""Internal routes: alert attachments (idempotent per alert_id) and timeline entries (per dedup_key)."""

from __future__ import annotations

import uuid
from typing import Any


def _alert(result: str, message: str = "HTTP 5xx", second: int = 0) -> dict[str, Any]:
    return {
        "alert_id": str(uuid.uuid4()),
        "fingerprint": "a" * 64,
        "result": result,
        "received_at": f"2026-03-01T12:00:{second:02d}Z",
        "message": message,
    }


async def test_attach_alerts_is_idempotent_per_alert_id(helpers: Any) -> None:
    incident = await helpers.create()
    url = f"/internal/v1/incidents/{incident['id']}/alerts"
    batch = {
        "alerts": [
            _alert("new_incident"),
            _alert("correlated", second=5),
            _alert("duplicate"),
            _alert("duplicate"),
        ]
    }
    first = await helpers.client.post(url, json=batch)
    assert first.status_code == 200
    assert first.json() == {"attached": 2, "duplicates": 2, "already_recorded": 0}
    again = await helpers.client.post(url, json=batch)
    assert again.json() == {"attached": 0, "duplicates": 0, "already_recorded": 4}
    detail = await helpers.detail(incident["id"])
    assert (detail["alert_count"], detail["duplicate_count"]) == (4, 2)
    attached = [e for e in detail["timeline"] if e["event_type"] == "alert_attached"]
    assert [e["data"]["result"] for e in attached] == ["new_incident", "correlated"]
    assert {e["actor"] for e in attached} == {"alert-ingestion"}


async def test_attach_alerts_validation_and_unknown_incident(helpers: Any) -> None:
    incident = await helpers.create()
    url = f"/internal/v1/incidents/{incident['id']}/alerts"
    assert (await helpers.client.post(url, json={"alerts": []})).status_code == 422
    too_many = {"alerts": [_alert("correlated") for _ in range(1001)]}
    assert (await helpers.client.post(url, json=too_many)).status_code == 422
    bad_result = {"alerts": [{**_alert("x"), "result": "merged"}]}
    assert (await helpers.client.post(url, json=bad_result)).status_code == 422
    unknown = await helpers.client.post(
        f"/internal/v1/incidents/{uuid.uuid4()}/alerts", json={"alerts": [_alert("correlated")]}
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


async def test_long_alert_message_is_cut_not_refused(helpers: Any) -> None:
    incident = await helpers.create()
    response = await helpers.client.post(
        f"/internal/v1/incidents/{incident['id']}/alerts",
        json={"alerts": [_alert("correlated", message="x" * 50_000 + "\u0000")]},
    )
    assert response.status_code == 200
    entry = (await helpers.detail(incident["id"]))["timeline"][-1]
    assert len(entry["message"]) == 2000


async def test_timeline_entry_from_oncall_is_written_once_per_dedup_key(helpers: Any) -> None:
    incident = await helpers.create()
    url = f"/internal/v1/incidents/{incident['id']}/timeline"
    entry = {
        "event_type": "oncall_lookup",
        "actor": "oncall-escalation",
        "message": "on-call lookup: alice (schedule primary)",
        "data": {"user": "alice"},
        "dedup_key": "lookup:1",
    }
    first = await helpers.client.post(url, json=entry)
    again = await helpers.client.post(url, json={**entry, "message": "changed"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"created": False}
    lookups = [
        e
        for e in (await helpers.detail(incident["id"]))["timeline"]
        if e["event_type"] == "oncall_lookup"
    ]
    assert len(lookups) == 1 and lookups[0]["message"].startswith("on-call lookup: alice")
    assert lookups[0]["data"] == {"user": "alice"}


async def test_timeline_entry_bad_input(helpers: Any) -> None:
    incident = await helpers.create()
    url = f"/internal/v1/incidents/{incident['id']}/timeline"
    for body in (
        {"event_type": "Bad Type"},
        {"event_type": "paged", "data": {"k": "nul\u0000"}},
        {"event_type": "paged", "data": {"k\u0000": 1}},
        {"event_type": "paged", "message": "nul\u0000"},
        {"event_type": "paged", "dedup_key": ""},
    ):
        response = await helpers.client.post(url, json=body)
        assert response.status_code == 422, body
    long = await helpers.client.post(url, json={"event_type": "paged", "message": "x" * 5000})
    assert long.status_code == 201
    assert len((await helpers.detail(incident["id"]))["timeline"][-1]["message"]) == 2000
    missing = await helpers.client.post(
        f"/internal/v1/incidents/{uuid.uuid4()}/timeline", json={"event_type": "paged"}
    )
    assert missing.status_code == 404
