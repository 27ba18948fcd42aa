"""PagerDuty Events API v2: ``POST <base>/v2/enqueue``, wire-compatible, so any tool that can
send to PagerDuty (Datadog, Sentry, Zabbix, Checkly, CloudWatch via SNS...) sends here by
changing only the base URL.

https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ — ``routing_key`` (the
integration key), ``event_action`` trigger|acknowledge|resolve, ``dedup_key`` (generated for a
trigger without one, and returned), ``payload`` {summary, source, severity
critical|error|warning|info, timestamp, component, group, class, custom_details}, ``links``,
``images``. Answers: ``202 {"status": "success", "message": "Event processed", "dedup_key"}``,
``400 {"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``.
The routing key identifies the service in PagerDuty, so alerts go to the integration's default
service unless ``custom_details.service`` names one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from nightwatch_ingestion.alerts.schemas import AlertAccepted
from nightwatch_ingestion.integrations.schemas import IntegrationAuth
from nightwatch_ingestion.sources.base import (
    InvalidPayload,
    Source,
    SourceEvent,
    build_alert,
    clean_labels,
    clean_text,
    map_severity,
    parse_time,
)

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
_MAX_DEDUP_KEY = 255


def _errors(body: Mapping[str, Any]) -> list[str]:
    """What PagerDuty would refuse, in its own words."""
    errors = []
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is missing or invalid (trigger, acknowledge or resolve)")
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or not dedup_key.strip()):
        errors.append("'dedup_key' must be a non-empty string")
    elif isinstance(dedup_key, str) and len(dedup_key) > _MAX_DEDUP_KEY:
        errors.append(f"'dedup_key' must be at most {_MAX_DEDUP_KEY} characters")
    if action in ("acknowledge", "resolve") and dedup_key is None:
        errors.append(f"'dedup_key' is required for {action} events")
    if action == "trigger":
        payload = body.get("payload")
        if not isinstance(payload, Mapping):
            errors.append("'payload' is missing or not an object")
        else:
            for name in ("summary", "source"):
                if not isinstance(payload.get(name), str) or not payload[name].strip():
                    errors.append(f"'payload.{name}' is missing or blank")
            if payload.get("severity") not in SEVERITIES:
                errors.append("'payload.severity' must be one of critical, error, warning, info")
            if payload.get("custom_details") is not None and not isinstance(
                payload.get("custom_details"), Mapping | list | str | int | float | bool
            ):
                errors.append("'payload.custom_details' is invalid")
    for name in ("links", "images"):
        if body.get(name) is not None and not isinstance(body.get(name), list):
            errors.append(f"'{name}' must be a list")
    return errors


class PagerDutySource(Source):
    type = "pagerduty"
    key_in_body = True

    def credential(self, body: Any) -> str | None:
        key = body.get("routing_key") if isinstance(body, Mapping) else None
        return key.strip() if isinstance(key, str) and key.strip() else None

    def parse(self, body: Any, integration: IntegrationAuth) -> list[SourceEvent]:
        if not isinstance(body, Mapping):
            raise InvalidPayload("Event object is invalid", ["Event must be a JSON object"])
        errors = _errors(body)
        if errors:
            raise InvalidPayload("Event object is invalid", errors)
        action = body["event_action"]
        dedup_key = body.get("dedup_key") or uuid.uuid4().hex
        raw_payload = body.get("payload")
        payload: Mapping[str, Any] = raw_payload if isinstance(raw_payload, Mapping) else {}
        details_raw = payload.get("custom_details")
        custom = details_raw if isinstance(details_raw, Mapping) else {}
        labels = clean_labels(
            {
                **{k: v for k, v in custom.items() if isinstance(v, str | int | float | bool)},
                **{
                    name: payload[name]
                    for name in ("source", "component", "group", "class")
                    if isinstance(payload.get(name), str)
                },
            }
        )
        summary = payload.get("summary") or f"{action} {dedup_key}"
        details: dict[str, Any] = {
            "custom_details": details_raw,
            "links": [
                {
                    "href": clean_text(link.get("href"), 2048),
                    "text": clean_text(link.get("text"), 200),
                }
                for link in body.get("links") or []
                if isinstance(link, Mapping)
            ][:20],
            "images": [
                {
                    "src": clean_text(image.get("src"), 2048),
                    "href": clean_text(image.get("href"), 2048),
                }
                for image in body.get("images") or []
                if isinstance(image, Mapping)
            ][:20],
        }
        for name in ("client", "client_url"):
            if isinstance(body.get(name), str):
                details[name] = clean_text(body[name], 2048)
        alert = build_alert(
            service=custom.get("service") if isinstance(custom.get("service"), str) else None,
            severity=map_severity(payload.get("severity"), integration),
            message=summary,
            labels=labels,
            timestamp=parse_time(payload.get("timestamp")),
            integration=integration,
        )
        return [SourceEvent(alert=alert, dedup_key=dedup_key, event=action, details=details)]

    def accepted(
        self, events: list[SourceEvent], answers: list[AlertAccepted]
    ) -> tuple[int, dict[str, Any]]:
        return 202, {
            "status": "success",
            "message": "Event processed",
            "dedup_key": events[0].dedup_key,
        }

    def invalid(self, error: InvalidPayload) -> tuple[int, dict[str, Any]]:
        return 400, {"status": "invalid event", "message": error.message, "errors": error.errors}

    def unauthorized(self, message: str) -> tuple[int, dict[str, Any]]:
        return 401, {"status": "invalid event", "message": message, "errors": [message]}


SOURCE = PagerDutySource()
