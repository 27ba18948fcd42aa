"""Domain metrics of the escalation side (names are part of the project's contract)."""

from __future__ import annotations

from prometheus_client import Counter

ONCALL_NOTIFICATIONS_SENT = Counter(
    "oncall_notifications_sent_total",
    "Pages handed to the notification service (accepted), by channel",
    ["channel"],
)
ESCALATIONS = Counter(
    "escalations_total",
    "Times an incident was escalated past its first page (nobody acknowledged in time, or "
    "POST /api/v1/escalate), by team",
    ["team"],
)
