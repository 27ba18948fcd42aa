"""Alert retention: alerts past their age go, in bounded batches,
unless their incident is still open or work is still queued for them; incident-management, which
owns "is it resolved?", is asked once per batch, and when it cannot answer nothing linked goes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from nightwatch_core.clock import ManualClock
from nightwatch_core.testing.plans import index_only_plan
from nightwatch_ingestion.retention import SCAN

# Before every other test's alerts (their clocks are in 2026): this test's passes see only its own.
LONG_AGO = datetime(2019, 3, 1, 9, 0, tzinfo=UTC)


async def _rows(app: Any, *services: str) -> dict[str, list[Any]]:
    async with app.state.db_pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT a.id, a.service FROM ingestion.alerts a "
            "WHERE a.service = ANY($1::text[]) ORDER BY a.received_at",
            list(services),
        )
    by_service: dict[str, list[Any]] = {service: [] for service in services}
    for row in rows:
        by_service[row["service"]].append(row)
    return by_service


async def test_old_alerts_of_resolved_incidents_go_open_ones_and_recent_ones_stay(
    ingestion: Any, incidents: Any, make_alert: Any
) -> None:
    clock = ManualClock(LONG_AGO)
    resolved, still_open, recent = (f"svc-{uuid.uuid4().hex[:8]}" for _ in range(3))
    settings = {"clock": clock, "retention_batch_size": 2, "retention_pause_seconds": 0}
    async with ingestion(**settings) as (app, client):
        for n in range(5):
            posted = await client.post(
                "/api/v1/alerts", json=make_alert(service=resolved, message=f"m{n}")
            )
            assert posted.status_code in (200, 201), posted.text
        for n in range(2):
            await client.post(
                "/api/v1/alerts", json=make_alert(service=still_open, message=f"o{n}")
            )
        [incident] = {i for key, i in incidents.open.items() if key[0] == resolved}
        incidents.resolve(incident)
        clock.advance(timedelta(days=89))
        await client.post("/api/v1/alerts", json=make_alert(service=recent))
        clock.advance(timedelta(days=2))  # 91 days after the first seven, 2 after the last

        [task] = app.state.retention.tasks
        removed = await app.state.retention.run_pass(app, task)

        rows = await _rows(app, resolved, still_open, recent)
        assert removed == 5 and rows[resolved] == []  # over three batches of at most two
        assert len(rows[still_open]) == 2  # its incident is open: kept, however old
        assert len(rows[recent]) == 1


async def test_queued_alerts_stay_and_nothing_linked_goes_while_incident_management_is_silent(
    ingestion: Any, incidents: Any, make_alert: Any
) -> None:
    clock = ManualClock(LONG_AGO - timedelta(days=30))
    linked, queued = (f"svc-{uuid.uuid4().hex[:8]}" for _ in range(2))
    settings = {"clock": clock, "retention_batch_size": 50, "retention_pause_seconds": 0}
    async with ingestion(**settings) as (app, client):
        await client.post("/api/v1/alerts", json=make_alert(service=linked))
        [incident] = {i for key, i in incidents.open.items() if key[0] == linked}
        incidents.resolve(incident)
        await incidents.stop()  # accepted, not placed yet: on the link queue
        assert (
            await client.post("/api/v1/alerts", json=make_alert(service=queued))
        ).status_code == 202
        await incidents.start()
        clock.advance(timedelta(days=120))
        [task] = app.state.retention.tasks

        incidents.mode = "failing"  # cannot say which incidents are resolved
        with pytest.raises(httpx.HTTPStatusError):
            await app.state.retention.run_pass(app, task)
        rows = await _rows(app, linked, queued)
        assert len(rows[linked]) == 1 and len(rows[queued]) == 1

        incidents.mode = "up"
        assert await app.state.retention.run_pass(app, task) == 1
        rows = await _rows(app, linked, queued)
        assert rows[linked] == [] and len(rows[queued]) == 1  # still owed a placement


async def test_a_batch_walks_the_received_index_without_sorting(app: Any) -> None:
    """The (received_at DESC, id DESC) index serves a batch in order from its position: a pass over
    ten million alerts costs index probes per batch, never a sort of the table."""
    scan = (
        SCAN.replace("$1", "now()").replace("$2", "'-infinity'").replace("$3", "gen_random_uuid()")
    )
    plan = await index_only_plan(app.state.db_pool, scan.replace("$4", "1000"))
    assert "alerts_received_idx" in plan and "Sort" not in plan, plan
