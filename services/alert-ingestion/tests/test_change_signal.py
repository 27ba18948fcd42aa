"""Push updates (issue #15): stored alerts signal the consoles after the commit, linked ones too,
and a burst of alerts costs a few signals, not one each."""

from __future__ import annotations

import asyncio
from typing import Any

from nightwatch_ingestion.alerts.workers import link_once


async def test_an_accepted_alert_is_signalled_once_stored(
    app: Any, client: Any, make_alert: Any
) -> None:
    changes = app.state.change_signal
    await changes.flushed()
    before = changes.sent
    response = await client.post("/api/v1/alerts", json=make_alert())
    assert response.status_code == 201, response.text
    await changes.flushed()
    assert changes.sent == before + 1


async def test_a_burst_of_alerts_is_a_few_signals(app: Any, client: Any, make_alert: Any) -> None:
    changes = app.state.change_signal
    await changes.flushed()
    before = changes.sent
    answers = await asyncio.gather(
        *(client.post("/api/v1/alerts", json=make_alert(message=f"m{n}")) for n in range(40))
    )
    assert {a.status_code for a in answers} == {201}
    await changes.flushed()
    assert 1 <= changes.sent - before < 40


async def test_pending_alerts_are_signalled_when_stored_and_when_linked(
    app: Any, client: Any, incidents: Any, make_alert: Any
) -> None:
    changes = app.state.change_signal
    await incidents.stop()
    await changes.flushed()
    before = changes.sent
    assert (await client.post("/api/v1/alerts", json=make_alert())).status_code == 202
    await changes.flushed()
    assert changes.sent == before + 1
    await incidents.start()
    handled, _ = await link_once(app)
    assert handled == 1
    await changes.flushed()
    assert changes.sent == before + 2
