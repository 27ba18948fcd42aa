"""The incident state machine: the only place that knows which transitions are allowed."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# Resolved is final: a recurrence opens a new incident (ingestion correlates only unresolved ones).
# No status is ever entered twice, which lets the database enforce one timeline entry per
# transition (unique "status:<to>" dedup key).
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.OPEN: (Status.ACKNOWLEDGED, Status.RESOLVED),
    Status.ACKNOWLEDGED: (Status.IN_PROGRESS, Status.RESOLVED),
    Status.IN_PROGRESS: (Status.RESOLVED,),
    Status.RESOLVED: (),
}


# Looked up once per listed incident: a plain dict, not an enum construction per call.
_ALLOWED_NEXT = {status.value: [s.value for s in nexts] for status, nexts in TRANSITIONS.items()}


def allowed_next(status: str) -> list[str]:
    return list(_ALLOWED_NEXT[status])


def is_allowed(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]
