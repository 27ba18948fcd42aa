"""Issue #15, item 2: on-call's paging outcomes (timeline entries) are kept on the incident as
``page_state``, filterable, counted in the stats summary and in a metric."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

TIMELINE_BATCH = "/internal/v1/incidents/timeline/batch"


def _entry(incident_id: str, event_type: str, key: str) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "event_type": event_type,
        "actor": "oncall-escalation",
        "message": f"{event_type} {key}",
        "dedup_key": key,
    }


async def test_nobody_paged_then_paged_moves_forward_only(helpers: Any) -> None:
    quiet, paged, late = [await helpers.create() for _ in range(3)]
    assert quiet["page_state"] == "pending"
    response = await helpers.client.post(
        TIMELINE_BATCH,
        json={
            "entries": [
                _entry(quiet["id"], "nobody_paged", "a"),
                _entry(paged["id"], "nobody_paged", "b"),
                _entry(paged["id"], "notification_sent", "c"),
                # A paged incident stays paged whatever arrives after.
                _entry(late["id"], "notification_sent", "d"),
            ]
        },
    )
    assert response.status_code == 200, response.text
    single = await helpers.client.post(
        f"/internal/v1/incidents/{late['id']}/timeline",
        json={"event_type": "nobody_paged", "message": "level 2: nobody", "dedup_key": "e"},
    )
    assert single.status_code == 201, single.text
    states = {i: (await helpers.detail(i))["page_state"] for i in (quiet["id"], paged["id"])}
    assert states == {quiet["id"]: "nobody_paged", paged["id"]: "paged"}
    assert (await helpers.detail(late["id"]))["page_state"] == "paged"

    listed = await helpers.client.get(
        "/api/v1/incidents", params={"page_state": "nobody_paged", "service": helpers.service}
    )
    assert [i["id"] for i in listed.json()["items"]] == [quiet["id"]]
    assert listed.json()["items"][0]["page_state"] == "nobody_paged"
    summary = (await helpers.client.get("/api/v1/incidents/stats/summary")).json()
    assert summary["nobody_paged"] >= 1

    assert (await helpers.client.get("/metrics")).status_code == 200
    gauge = REGISTRY.get_sample_value("incidents_nobody_paged")
    assert gauge is not None and gauge >= 1

    # Resolved: no longer counted as an unresolved incident that paged nobody.
    before = summary["nobody_paged"]
    resolved = await helpers.patch(quiet["id"], {"status": "resolved"})
    assert resolved.status_code == 200, resolved.text
    after = (await helpers.client.get("/api/v1/incidents/stats/summary")).json()["nobody_paged"]
    assert after == before - 1


async def test_an_unknown_page_state_filter_is_a_clear_422(helpers: Any) -> None:
    response = await helpers.client.get("/api/v1/incidents", params={"page_state": "maybe"})
    assert response.status_code == 422
    assert "page_state" in response.text
