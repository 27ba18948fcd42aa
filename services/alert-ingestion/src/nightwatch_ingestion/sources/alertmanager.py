"""Alertmanager's webhook (payload version 4), and the shape Grafana's webhook shares with it.

https://prometheus.io/docs/alerting/latest/configuration/#webhook_config: ``{"version": "4",
"groupKey", "status", "receiver", "groupLabels", "commonLabels", "commonAnnotations",
"externalURL", "alerts": [{"status", "labels", "annotations", "startsAt", "endsAt",
"generatorURL", "fingerprint"}]}``. Each alert becomes an alert here, identified by its
fingerprint (a repeat notification of a firing alert is a duplicate); ``status: resolved``
resolves it. Alertmanager retries on 5xx and network errors, not on 4xx.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from nightwatch_ingestion.integrations.schemas import IntegrationAuth
from nightwatch_ingestion.sources.base import (
    InvalidPayload,
    Source,
    SourceEvent,
    build_alert,
    clean_labels,
    clean_text,
    links,
    map_severity,
    parse_time,
)

MAX_ALERTS = 5000


def alerts_of(body: Any, tool: str) -> list[Mapping[str, Any]]:
    if not isinstance(body, Mapping):
        raise InvalidPayload(f"Expected a JSON object ({tool} webhook payload)")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise InvalidPayload(f"'alerts' must be a list ({tool} webhook payload)", ["alerts"])
    if len(alerts) > MAX_ALERTS:
        raise InvalidPayload(f"At most {MAX_ALERTS} alerts per notification")
    for index, alert in enumerate(alerts):
        if not isinstance(alert, Mapping):
            raise InvalidPayload(f"alerts[{index}] must be an object", [f"alerts[{index}]"])
        if alert.get("status") not in ("firing", "resolved"):
            raise InvalidPayload(
                f"alerts[{index}].status must be 'firing' or 'resolved'",
                [f"alerts[{index}].status"],
            )
        if not isinstance(alert.get("labels", {}), Mapping):
            raise InvalidPayload(f"alerts[{index}].labels must be an object")
    return alerts


def identity(alert: Mapping[str, Any], labels: dict[str, str]) -> str:
    """The tool's fingerprint; without one, a hash of the labels (what Alertmanager hashes)."""
    fingerprint = clean_text(alert.get("fingerprint"), 128)
    if fingerprint:
        return fingerprint
    return hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]


def event_of(
    alert: Mapping[str, Any],
    integration: IntegrationAuth,
    *,
    extra_links: dict[str, str],
    group_key: object,
) -> SourceEvent:
    labels = clean_labels(alert.get("labels"))
    raw_annotations = alert.get("annotations")
    annotations = clean_labels(raw_annotations if isinstance(raw_annotations, Mapping) else {})
    message = (
        annotations.get("summary")
        or annotations.get("description")
        or annotations.get("message")
        or labels.get("alertname")
    )
    details: dict[str, Any] = {
        "annotations": annotations,
        **links(
            generator_url=alert.get("generatorURL"),
            runbook_url=annotations.get("runbook_url") or annotations.get("runbook"),
        ),
        **extra_links,
    }
    if group_key:
        details["group_key"] = clean_text(group_key, 1024)
    ends_at = parse_time(alert.get("endsAt"))
    if ends_at is not None:
        details["ends_at"] = ends_at.isoformat()
    return SourceEvent(
        alert=build_alert(
            service=labels.get("service") or labels.get("job"),
            severity=map_severity(labels.get("severity"), integration),
            message=message,
            labels=labels,
            timestamp=parse_time(alert.get("startsAt")),
            integration=integration,
        ),
        dedup_key=identity(alert, labels),
        event="resolve" if alert.get("status") == "resolved" else "trigger",
        details=details,
    )


class AlertmanagerSource(Source):
    type = "alertmanager"

    def parse(self, body: Any, integration: IntegrationAuth) -> list[SourceEvent]:
        group_key = body.get("groupKey") if isinstance(body, Mapping) else None
        return [
            event_of(alert, integration, extra_links={}, group_key=group_key)
            for alert in alerts_of(body, "Alertmanager")
        ]


SOURCE = AlertmanagerSource()
