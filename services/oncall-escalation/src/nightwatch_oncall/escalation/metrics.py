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
NOTIFICATION_RULE_STEPS = Counter(
    "notification_rule_steps_total",
    "Pages sent by a person's notification rule (not the default of every contact method at "
    "once), by urgency",
    ["urgency"],
)
QUIET_HOURS_HELD = Counter(
    "notification_quiet_hours_held_total",
    "Low-urgency pages held until a person's quiet hours end",
)
