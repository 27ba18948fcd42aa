"""Whether an incident's escalation paged anyone (issue #15, item 2), kept on the incident.

On-call decides who is paged and reports each outcome as a timeline entry (durable jobs, sent
after its transaction): ``notification_sent`` when a page reached the notification service,
``nobody_paged`` when a level had nobody on it. Writing those entries moves ``page_state``
(migration 0110) in the same transaction, so the list, the detail, the dashboard and the metric
read a column, and nothing on the incident's hot path calls on-call.

The state only moves forward: ``paged`` wins over everything (entries may arrive in any order, and
somebody was paged), ``nobody_paged`` replaces only ``pending``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class PageState(StrEnum):
    PENDING = "pending"
    PAGED = "paged"
    NOBODY_PAGED = "nobody_paged"


# The timeline entry on-call writes for each outcome.
OUTCOME_OF_ENTRY = {
    "notification_sent": PageState.PAGED,
    "nobody_paged": PageState.NOBODY_PAGED,
}

# The rows are locked in id order first (as correlation locks them), so two batches that share
# incidents cannot deadlock; a row that changed while we waited is checked again by the lock.
_RECORD = text(
    """
    WITH target AS (
        SELECT id FROM incidents.incidents
        WHERE (id = ANY(CAST(:paged AS uuid[])) AND page_state <> 'paged')
           OR (id = ANY(CAST(:nobody AS uuid[])) AND page_state = 'pending')
        ORDER BY id
        FOR UPDATE
    )
    UPDATE incidents.incidents i
    SET page_state = CASE WHEN i.id = ANY(CAST(:paged AS uuid[])) THEN 'paged'
                          ELSE 'nobody_paged' END
    FROM target t
    WHERE i.id = t.id
    """
)


async def record_outcomes(
    *, session: AsyncSession, entries: Iterable[tuple[uuid.UUID, str]]
) -> None:
    """Move ``page_state`` for the (incident id, event type) entries just written; other event
    types change nothing. One statement for a whole batch."""
    paged: set[uuid.UUID] = set()
    nobody: set[uuid.UUID] = set()
    for incident_id, event_type in entries:
        outcome = OUTCOME_OF_ENTRY.get(event_type)
        if outcome is PageState.PAGED:
            paged.add(incident_id)
        elif outcome is PageState.NOBODY_PAGED:
            nobody.add(incident_id)
    if paged or nobody:
        await session.execute(_RECORD, {"paged": list(paged), "nobody": list(nobody - paged)})
