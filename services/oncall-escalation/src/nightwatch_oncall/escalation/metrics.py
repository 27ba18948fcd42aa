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
    "Escalation steps run (a level paged: level 1 on a new incident, then each escalation), by team",
    ["team"],
)
