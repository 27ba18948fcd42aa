"""Domain metrics of incident management (names are the public contract)."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import Counter, Gauge, Histogram

from nightwatch_incidents.incidents import service
from nightwatch_incidents.incidents.models import Incident
from nightwatch_incidents.incidents.states import Status

INCIDENTS_CREATED = Counter(
    "incidents_created_total", "Incidents created, by severity", ["severity"]
)
INCIDENTS_BY_STATUS = Gauge(
    "incidents_by_status",
    "Incidents currently in each status (counted in the database at scrape time)",
    ["status"],
)
INCIDENT_OLDEST_UNACKNOWLEDGED = Gauge(
    "incident_oldest_unacknowledged_seconds",
    "Age of the oldest incident still open (not acknowledged); 0 when there is none "
    "(from the database at scrape time)",
)
INCIDENTS_NOBODY_PAGED = Gauge(
    "incidents_nobody_paged",
    "Unresolved incidents whose escalation paged nobody (no policy and nobody on call, an unknown "
    "team, a gap in every schedule); from the database at scrape time. Alert on > 0",
)
EVENT_STREAMS = Gauge(
    "incident_event_streams",
    "Server-sent event streams this process serves now (consoles open on it)",
)
EVENT_LISTENING = Gauge(
    "incident_events_listening",
    "1 while this process has its LISTEN connection for push updates, else 0",
)
# Seconds: 30 s … 1 day, the range on-call targets are set in.
_DURATION_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)
INCIDENT_MTTA = Histogram(
    "incident_mtta_seconds",
    "Time from creation to acknowledgement",
    buckets=_DURATION_BUCKETS,
)
INCIDENT_MTTR = Histogram(
    "incident_mttr_seconds",
    "Time from creation to resolution",
    buckets=_DURATION_BUCKETS,
)


async def refresh_status_gauge(app: FastAPI) -> None:
    """Scrape hook: the gauges come from the database, so every replica and restart agrees."""
    async with app.state.sessionmaker() as session:
        counts = await service.count_by_status(session=session)
        oldest_open = await service.oldest_open_created_at(session=session)
        nobody_paged = await service.count_nobody_paged(session=session)
    for status, count in counts.items():
        INCIDENTS_BY_STATUS.labels(status).set(count)
    age = (app.state.clock.now() - oldest_open).total_seconds() if oldest_open else 0.0
    INCIDENT_OLDEST_UNACKNOWLEDGED.set(max(0.0, age))
    INCIDENTS_NOBODY_PAGED.set(nobody_paged)


def observe_transition(incident: Incident, status: Status) -> None:
    """MTTA on an acknowledge, MTTR on a resolve (by a person or by the alert's source)."""
    if status is Status.ACKNOWLEDGED and (mtta := service.mtta_seconds(incident)) is not None:
        INCIDENT_MTTA.observe(mtta)
    if status is Status.RESOLVED and (mttr := service.mttr_seconds(incident)) is not None:
        INCIDENT_MTTR.observe(mttr)


async def refresh_event_gauges(app: FastAPI) -> None:
    """Scrape hook: this process's push streams (per process: sum across replicas)."""
    hub = app.state.change_hub
    EVENT_STREAMS.set(hub.subscribers)
    EVENT_LISTENING.set(1 if hub.listening else 0)
