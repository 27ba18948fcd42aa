"""Internal routes: timeline entries from other services (idempotent per dedup_key)."""

from __future__ import annotations

import uuid
from typing import Any


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
