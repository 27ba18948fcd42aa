"""Domain metrics of the notification service."""

from __future__ import annotations

from prometheus_client import Counter

# status: delivered, failed (final, attempts used up or permanent error), retry (will try again).
NOTIFICATIONS_SENT = Counter(
    "notifications_sent_total",
    "Notification delivery attempts by channel and outcome (delivered, retry, failed)",
    ["channel", "status"],
)
