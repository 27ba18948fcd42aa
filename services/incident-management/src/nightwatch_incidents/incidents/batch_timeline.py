"""Timeline entries in batches: what other services write to incidents' timelines (on-call's
lookups, pages, escalations) and the escalation jobs' own entries, with one INSERT per batch.
Keyword-only data functions taking the session; they never commit."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_incidents.incidents.models import SCHEMA
from nightwatch_incidents.incidents.page_state import record_outcomes


@dataclass(frozen=True)
class Entry:
    incident_id: uuid.UUID
    event_type: str
    actor: str
    message: str = ""
    data: dict[str, Any] | None = None
    dedup_key: str | None = None


def _json(data: dict[str, Any]) -> str:
    try:
        return orjson.dumps(data).decode()
    except TypeError:  # integers past 64 bits: the stdlib writes them, and jsonb keeps them
        return json.dumps(data)


INSERT_ENTRIES = f"""
INSERT INTO {SCHEMA}.incident_timeline
    (incident_id, event_type, actor, message, data, dedup_key, created_at)
SELECT e.incident_id, e.event_type, e.actor, e.message, CAST(e.data AS jsonb), e.dedup_key,
       greatest(CAST(:now AS timestamptz), i.created_at)
FROM unnest(CAST(:incident_ids AS uuid[]), CAST(:event_types AS text[]), CAST(:actors AS text[]),
            CAST(:messages AS text[]), CAST(:datas AS text[]), CAST(:keys AS text[]))
     WITH ORDINALITY AS e(incident_id, event_type, actor, message, data, dedup_key, position)
-- = ANY: a primary-key probe per incident whatever the statistics (a join alone was planned as a
-- scan of every incident when the table had never been analysed)
JOIN {SCHEMA}.incidents i ON i.id = e.incident_id AND i.id = ANY(CAST(:incident_ids AS uuid[]))
ORDER BY e.position
ON CONFLICT (incident_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
RETURNING incident_id, dedup_key
"""  # noqa: S608 - constant schema name


async def append_timeline_many(
    *, session: AsyncSession, entries: list[Entry], now: datetime
) -> list[int]:
    """Append entries (never before their incident's creation), and move the incidents'
    ``page_state`` for on-call's paging outcomes; per entry 201 written, 200 when its dedup_key
    was written before (also earlier in this batch), 404 for an unknown incident."""
    if not entries:
        return []
    incident_ids = list({entry.incident_id for entry in entries})
    known = set(
        (
            await session.execute(
                text(f"SELECT id FROM {SCHEMA}.incidents WHERE id = ANY(:ids)"),  # noqa: S608
                {"ids": incident_ids},
            )
        ).scalars()
    )
    written = (
        await session.execute(
            text(INSERT_ENTRIES),
            {
                "now": now,
                "incident_ids": [entry.incident_id for entry in entries],
                "event_types": [entry.event_type for entry in entries],
                "actors": [entry.actor for entry in entries],
                "messages": [entry.message for entry in entries],
                "datas": [_json(entry.data or {}) for entry in entries],
                "keys": [entry.dedup_key for entry in entries],
            },
        )
    ).all()
    await record_outcomes(
        session=session, entries=[(entry.incident_id, entry.event_type) for entry in entries]
    )
    new_keys = {(row.incident_id, row.dedup_key) for row in written}
    statuses = []
    for entry in entries:
        if entry.incident_id not in known:
            statuses.append(404)
        elif entry.dedup_key is None:
            statuses.append(201)
        else:
            # Only the first entry with a key counts as written.
            key = (entry.incident_id, entry.dedup_key)
            statuses.append(201 if key in new_keys else 200)
            new_keys.discard(key)
    return statuses
