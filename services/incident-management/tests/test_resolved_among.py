"""``POST /internal/v1/incidents/resolved``: alert retention (ingestion) asks which incidents are
resolved, the only ones whose old alerts it may remove."""

from __future__ import annotations

import uuid
from typing import Any

RESOLVED = "/internal/v1/incidents/resolved"


async def test_only_resolved_incidents_are_answered(helpers: Any) -> None:
    done, acked, still_open = [await helpers.create() for _ in range(3)]
    assert (await helpers.patch(done["id"], {"status": "resolved"})).status_code == 200
    assert (await helpers.patch(acked["id"], {"status": "acknowledged"})).status_code == 200
    unknown = str(uuid.uuid4())  # never an incident here: its alerts are kept

    asked = [done["id"], acked["id"], still_open["id"], unknown]
    response = await helpers.client.post(RESOLVED, json={"incident_ids": asked})

    assert response.status_code == 200
    assert response.json() == {"resolved": [done["id"]]}


async def test_a_malformed_question_is_a_clear_422(helpers: Any) -> None:
    response = await helpers.client.post(RESOLVED, json={"incident_ids": ["not-a-uuid"]})
    assert response.status_code == 422
    assert "incident_ids" in response.text
