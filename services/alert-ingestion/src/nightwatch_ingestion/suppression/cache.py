"""The active silences and maintenance windows, in memory: the alert path asks no database.

Every replica loads what is not over yet at start, again whenever a change is committed (a
trigger sends ``NOTIFY nightwatch_suppression``; the replica that made the change also reloads
before it answers), and every ``SUPPRESSION_REFRESH_SECONDS`` in case a notification was missed
(the listening connection was down). Whether a silence or window is on is decided per alert
against the clock, so one starting or ending needs no reload. With nothing loaded, checking an
alert is one length test.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI

from nightwatch_ingestion import matchers
from nightwatch_ingestion.alerts.placement import Prepared
from nightwatch_ingestion.listening import keep_current
from nightwatch_ingestion.suppression.recurrence import Schedule, active_at

log = logging.getLogger("nightwatch.ingestion.suppression")

CHANNEL = "nightwatch_suppression"

_LOAD_SILENCES = """
    SELECT id, matchers, starts_at, ends_at FROM ingestion.silences WHERE ends_at > $1
"""
_LOAD_WINDOWS = """
    SELECT id, services, teams, starts_at, ends_at, recurrence, time_zone, repeat_until
    FROM ingestion.maintenance_windows
    WHERE ends_at > $1 OR (recurrence <> 'none' AND (repeat_until IS NULL OR repeat_until > $1))
"""


@dataclass(frozen=True)
class Suppression:
    kind: str  # silence | maintenance
    id: uuid.UUID


@dataclass(frozen=True)
class ActiveSilence:
    id: uuid.UUID
    matchers: tuple[matchers.Matcher, ...]
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ActiveWindow:
    id: uuid.UUID
    services: frozenset[str]
    teams: frozenset[str]
    schedule: Schedule


def silence_of(row: Any) -> ActiveSilence:
    texts = row["matchers"]
    if isinstance(texts, str):  # asyncpg hands jsonb over as text
        texts = orjson.loads(texts)
    return ActiveSilence(
        id=row["id"],
        matchers=tuple(matchers.parse(text) for text in texts),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
    )


def window_of(row: Any) -> ActiveWindow:
    return ActiveWindow(
        id=row["id"],
        services=frozenset(row["services"]),
        teams=frozenset(row["teams"]),
        schedule=Schedule(
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            recurrence=row["recurrence"],
            time_zone=row["time_zone"],
            repeat_until=row["repeat_until"],
        ),
    )


class SilenceIndex:
    """Silences by one of their equality matchers (label name -> value -> silences), so an alert
    is checked against the few silences whose ``name="value"`` it has, not all of them; the
    silences with no equality matcher are checked one by one."""

    def __init__(self, silences: tuple[ActiveSilence, ...]) -> None:
        self.by_label: dict[str, dict[str, list[ActiveSilence]]] = {}
        self.unindexed: list[ActiveSilence] = []
        for silence in silences:
            key = next((m for m in silence.matchers if m.operator is matchers.Operator.equal), None)
            if key is None:
                self.unindexed.append(silence)
            else:
                self.by_label.setdefault(key.name, {}).setdefault(key.value, []).append(silence)

    def candidates(self, labels: dict[str, str]) -> list[ActiveSilence]:
        found = list(self.unindexed)
        for name, by_value in self.by_label.items():
            found.extend(by_value.get(labels.get(name, ""), ()))
        return found


class SuppressionCache:
    def __init__(self) -> None:
        self._silences: tuple[ActiveSilence, ...] = ()
        self.index = SilenceIndex(())
        self.windows: tuple[ActiveWindow, ...] = ()
        self.loaded_at: datetime | None = None
        self.changed = asyncio.Event()
        # Reloads can overlap (the listener's and a request's): the one that started last wins,
        # so a slow reload that read the old rows never overwrites a newer one.
        self._started = 0
        self._applied = 0

    @property
    def silences(self) -> tuple[ActiveSilence, ...]:
        return self._silences

    @silences.setter
    def silences(self, silences: tuple[ActiveSilence, ...]) -> None:
        self.index = SilenceIndex(silences)  # built before the swap: readers see one or the other
        self._silences = silences

    async def reload(self, pool: asyncpg.Pool, *, now: datetime) -> None:
        self._started += 1
        mine = self._started
        async with pool.acquire() as conn:
            silence_rows = await conn.fetch(_LOAD_SILENCES, now)
            window_rows = await conn.fetch(_LOAD_WINDOWS, now)
        if mine < self._applied:
            return  # a reload that started later (and read newer rows) is already in place
        self._applied = mine
        # Swapped whole: a check running meanwhile sees the old set or the new one, never half.
        self.silences = tuple(silence_of(row) for row in silence_rows)
        self.windows = tuple(window_of(row) for row in window_rows)
        self.loaded_at = now

    def check(self, alert: Prepared, *, now: datetime) -> Suppression | None:
        """What suppresses this alert now (a maintenance window first, then a silence)."""
        for window in self.windows:
            if (alert.service in window.services or alert.team in window.teams) and active_at(
                window.schedule, now
            ):
                return Suppression("maintenance", window.id)
        if not self._silences:
            return None
        labels = matchers.alert_labels(
            service=alert.service, severity=alert.severity, team=alert.team, labels=alert.labels
        )
        for silence in self.index.candidates(labels):
            if silence.starts_at <= now < silence.ends_at:
                # matches_all, written out: this loop runs per alert and per silence
                for matcher in silence.matchers:
                    if not matcher.matches(labels.get(matcher.name, "")):
                        break
                else:
                    return Suppression("silence", silence.id)
        return None

    def split(self, alerts: Sequence[Prepared], *, now: datetime) -> dict[uuid.UUID, Suppression]:
        """The suppressed triggers among ``alerts`` (resolves and acknowledgements always pass:
        an incident opened before the silence still hears its source)."""
        if not self._silences and not self.windows:
            return {}
        found: dict[uuid.UUID, Suppression] = {}
        for alert in alerts:
            if alert.event == "trigger" and (why := self.check(alert, now=now)) is not None:
                found[alert.alert_id] = why
        return found

    def active_counts(self, *, now: datetime) -> tuple[int, int]:
        silences = sum(1 for s in self.silences if s.starts_at <= now < s.ends_at)
        windows = sum(1 for w in self.windows if active_at(w.schedule, now))
        return silences, windows


async def refresh_worker(app: FastAPI) -> None:
    """Keep this replica's cache current: LISTEN for changes, and reload periodically anyway."""
    cache: SuppressionCache = app.state.suppression
    await keep_current(
        app,
        channel=CHANNEL,
        changed=cache.changed,
        reload=lambda: cache.reload(app.state.db_pool, now=app.state.clock.now()),
        every=app.state.settings.suppression_refresh_seconds,
        what="suppression cache",
    )
