"""Domain metrics: created counter, status gauge from the database, MTTA/MTTR histograms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nightwatch_core.clock import ManualClock
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text


async def _samples(helpers: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await helpers.client.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


async def test_incidents_created_total_by_severity(helpers: Any) -> None:
    key = ("incidents_created_total", (("severity", "medium"),))
    before = (await _samples(helpers)).get(key, 0.0)
    await helpers.create(severity="medium")
    replay = {"Idempotency-Key": f"metrics-{helpers.service}"}
    body = {"title": "t", "service": helpers.service, "severity": "medium", "description": ""}
    await helpers.client.post("/api/v1/incidents", json=body, headers=replay)
    await helpers.client.post("/api/v1/incidents", json=body, headers=replay)
    assert (await _samples(helpers))[key] == before + 2


async def test_incidents_by_status_is_counted_in_the_database(helpers: Any) -> None:
    async with helpers.app.state.sessionmaker() as session:
        expected = dict(
            (
                await session.execute(
                    text("SELECT status, count(*) FROM incidents.incidents GROUP BY status")
                )
            ).all()
        )
    samples = await _samples(helpers)
    for status in ("open", "acknowledged", "in_progress", "resolved"):
        value = samples[("incidents_by_status", (("status", status),))]
        assert value == expected.get(status, 0)
    # Written by someone else (another replica, or before a restart): still counted.
    async with helpers.app.state.sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO incidents.incidents (title, service, severity, status, created_at, "
                "updated_at) VALUES ('x', :service, 'low', 'in_progress', now(), now())"
            ),
            {"service": helpers.service},
        )
    after = await _samples(helpers)
    assert after[("incidents_by_status", (("status", "in_progress"),))] == (
        expected.get("in_progress", 0) + 1
    )


async def test_oldest_unacknowledged_incident_age_comes_from_the_database(
    helpers: Any, clock: ManualClock
) -> None:
    key = ("incident_oldest_unacknowledged_seconds", ())

    async def oldest_open_age() -> float:
        async with helpers.app.state.sessionmaker() as session:
            oldest = (
                await session.execute(
                    text("SELECT min(created_at) FROM incidents.incidents WHERE status = 'open'")
                )
            ).scalar()
        return (clock.now() - oldest).total_seconds() if oldest else 0.0

    assert (await _samples(helpers))[key] == await oldest_open_age()
    # An incident left open for two hours (created by another replica, or before a restart).
    async with helpers.app.state.sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO incidents.incidents (title, service, severity, status, created_at, "
                "updated_at) VALUES ('old', :service, 'high', 'open', :at, :at)"
            ),
            {"service": helpers.service, "at": clock.now() - timedelta(hours=2)},
        )
    age = (await _samples(helpers))[key]
    assert age >= 7200 and age == await oldest_open_age()
    clock.advance(60)
    assert (await _samples(helpers))[key] == age + 60  # it keeps growing until someone acks


async def test_mtta_and_mttr_histograms_observe_transitions(
    helpers: Any, clock: ManualClock
) -> None:
    before = await _samples(helpers)
    incident = await helpers.create()
    clock.advance(45)
    await helpers.patch(incident["id"], {"status": "acknowledged"})
    clock.advance(100)
    await helpers.patch(incident["id"], {"status": "resolved"})
    after = await _samples(helpers)
    for name, seconds in (("incident_mtta_seconds", 45.0), ("incident_mttr_seconds", 145.0)):
        count = (f"{name}_count", ())
        total = (f"{name}_sum", ())
        assert after[count] == before.get(count, 0.0) + 1
        assert after[total] == before.get(total, 0.0) + seconds
        bucket_60 = (f"{name}_bucket", (("le", "60.0"),))
        expected_in_60 = 1 if seconds <= 60 else 0
        assert after[bucket_60] == before.get(bucket_60, 0.0) + expected_in_60
