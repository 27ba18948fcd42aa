"""Severities, incident statuses and the incident state machine: the only place that defines
them. Every service and, through the OpenAPI, the web UI take them from here."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class IncidentStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


# Resolved is final: a recurrence opens a new incident (ingestion correlates only unresolved ones).
# No status is ever entered twice, which lets the database enforce one timeline entry per
# transition (unique "status:<to>" dedup key).
TRANSITIONS: dict[IncidentStatus, tuple[IncidentStatus, ...]] = {
    IncidentStatus.OPEN: (IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED),
    IncidentStatus.ACKNOWLEDGED: (IncidentStatus.IN_PROGRESS, IncidentStatus.RESOLVED),
    IncidentStatus.IN_PROGRESS: (IncidentStatus.RESOLVED,),
    IncidentStatus.RESOLVED: (),
}

# Looked up once per listed incident: a plain dict, not an enum construction per call.
_ALLOWED_NEXT = {status.value: [s.value for s in nexts] for status, nexts in TRANSITIONS.items()}


def allowed_next(status: str) -> list[str]:
    return list(_ALLOWED_NEXT[status])


def is_allowed(current: str, target: str) -> bool:
    return IncidentStatus(target) in TRANSITIONS[IncidentStatus(current)]
