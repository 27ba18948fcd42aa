"""The platform's own alert body, sent with an integration key: ``service`` and ``severity``
become optional (the integration's defaults and mapping), ``dedup_key`` names the alert, and
``status: "resolved"`` resolves it. One object or a list of up to 1000."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nightwatch_ingestion.alerts.fingerprint import fingerprint
from nightwatch_ingestion.alerts.schemas import MAX_BATCH
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


class GenericSource(Source):
    type = "generic"

    def parse(self, body: Any, integration: IntegrationAuth) -> list[SourceEvent]:
        items = body if isinstance(body, list) else [body]
        if not 1 <= len(items) <= MAX_BATCH:
            raise InvalidPayload(f"Send one alert object or a list of 1-{MAX_BATCH}")
        events = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InvalidPayload(f"[{index}] must be an object")
            if not clean_text(item.get("message"), 4096):
                raise InvalidPayload(
                    f"[{index}].message is missing or blank", [f"[{index}].message"]
                )
            if item.get("status", "firing") not in ("firing", "resolved"):
                raise InvalidPayload(f"[{index}].status must be 'firing' or 'resolved'")
            alert = build_alert(
                service=item.get("service"),
                severity=map_severity(item.get("severity"), integration),
                message=item.get("message"),
                labels=clean_labels(item.get("labels")),
                timestamp=parse_time(item.get("timestamp")),
                integration=integration,
            )
            dedup_key = clean_text(item.get("dedup_key"), 128) or fingerprint(
                service=alert.service,
                severity=alert.severity.value,
                message=alert.message,
                labels=alert.labels,
            )
            events.append(
                SourceEvent(
                    alert=alert,
                    dedup_key=dedup_key,
                    event="resolve" if item.get("status") == "resolved" else "trigger",
                    details=links(link=item.get("link"), runbook_url=item.get("runbook_url")),
                )
            )
        return events


SOURCE = GenericSource()
