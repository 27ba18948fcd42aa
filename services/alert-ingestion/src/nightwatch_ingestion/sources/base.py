"""The one small interface every inbound format implements (DESIGN.md "Providers").

A source turns the body a monitoring tool sends into ``SourceEvent``s (an alert as the platform
sees it, the tool's identity for it, and what the tool says: it fires, it stopped, someone
acknowledged it), and answers in the tool's own dialect. Everything else — the key, storing,
placing, counting — is the same for all and lives in ``integrations/inbound.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from nightwatch_core.errors import ApiError
from nightwatch_core.validation import as_utc
from pydantic import ValidationError

from nightwatch_ingestion.alerts.schemas import (
    MAX_LABELS,
    AlertAccepted,
    AlertCreate,
    Severity,
)
from nightwatch_ingestion.integrations.schemas import IntegrationAuth

# What most tools call their severities, mapped onto the platform's four; an integration's
# severity_mapping overrides or adds entries, anything unknown gets its default_severity.
DEFAULT_SEVERITY_MAPPING: dict[str, str] = {
    "critical": "critical",
    "crit": "critical",
    "fatal": "critical",
    "page": "critical",
    "p1": "critical",
    "high": "high",
    "error": "high",
    "err": "high",
    "major": "high",
    "p2": "high",
    "medium": "medium",
    "warning": "medium",
    "warn": "medium",
    "minor": "medium",
    "p3": "medium",
    "low": "low",
    "info": "low",
    "informational": "low",
    "notice": "low",
    "p4": "low",
    "p5": "low",
}
_MAX_MESSAGE = 4096
_MAX_KEY, _MAX_VALUE = 128, 1024


class InvalidPayload(Exception):
    """The body is not what the tool sends: 400 in the tool's error dialect."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or [message]


@dataclass(frozen=True)
class SourceEvent:
    alert: AlertCreate
    dedup_key: str  # the tool's identity of the alert (fingerprint, dedup_key)
    event: str = "trigger"  # trigger | resolve | acknowledge
    details: dict[str, Any] = field(default_factory=dict)


class Source:
    """Base of the inbound formats; the defaults answer with the platform's common bodies."""

    type: ClassVar[str]
    # Where the key travels: the Authorization header (Bearer), or the body (PagerDuty).
    key_in_body: ClassVar[bool] = False

    def credential(self, body: Any) -> str | None:
        return None

    def parse(self, body: Any, integration: IntegrationAuth) -> list[SourceEvent]:
        raise NotImplementedError

    def accepted(
        self, events: list[SourceEvent], answers: list[AlertAccepted]
    ) -> tuple[int, dict[str, Any]]:
        pending = sum(1 for a in answers if a.link_status == "pending")
        return 202 if pending else 200, {
            "status": "success",
            "alerts": len(answers),
            "firing": sum(1 for e in events if e.event == "trigger"),
            "resolved": sum(1 for e in events if e.event == "resolve"),
            "pending": pending,
            "incident_ids": sorted({str(a.incident_id) for a in answers if a.incident_id}),
        }

    def invalid(self, error: InvalidPayload) -> tuple[int, dict[str, Any]]:
        raise ApiError(
            400, error.message, code="invalid_payload", details={"errors": error.errors[:20]}
        )

    def unauthorized(self, message: str) -> tuple[int, dict[str, Any]]:
        raise ApiError(
            401,
            message,
            code="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="nightwatch-integration"'},
        )


# ------------------------------------------------------------------ helpers for the formats


def map_severity(raw: object, integration: IntegrationAuth) -> Severity:
    """The tool's severity through the integration's mapping, else the default mapping, else
    the integration's default severity (an unknown or missing severity is not an error)."""
    name = raw.strip().lower() if isinstance(raw, str) else ""
    mapped = integration.severity_mapping.get(name) or DEFAULT_SEVERITY_MAPPING.get(name)
    return Severity(mapped or integration.default_severity)


def clean_text(value: object, limit: int) -> str:
    """A string a tool sent, made storable (no NUL, no unpaired surrogate) and cut to size."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text.strip()[:limit]


def clean_labels(raw: object) -> dict[str, str]:
    """Labels kept as sent, within the platform's limits (a tool is not refused for a long
    label: it is cut, and labels past the 64th are dropped)."""
    if not isinstance(raw, Mapping):
        return {}
    labels: dict[str, str] = {}
    for key, value in sorted(raw.items(), key=lambda kv: str(kv[0])):
        name = clean_text(key, _MAX_KEY)
        if name and len(labels) < MAX_LABELS:
            labels[name] = clean_text(value, _MAX_VALUE)
    return labels


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 time, or None (Alertmanager sends 0001-01-01 for "not set")."""
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        return None


def build_alert(
    *,
    service: object,
    severity: Severity,
    message: object,
    labels: dict[str, str],
    timestamp: datetime | None,
    integration: IntegrationAuth,
) -> AlertCreate:
    try:
        return AlertCreate(
            service=clean_text(service, 200) or integration.default_service,
            severity=severity,
            message=clean_text(message, _MAX_MESSAGE) or "(no message)",
            labels=labels,
            timestamp=timestamp,
        )
    except ValidationError as exc:  # e.g. labels.team too long
        raise InvalidPayload(f"Alert not acceptable: {exc.errors()[0]['msg']}") from exc


def links(**urls: object) -> dict[str, str]:
    """The links a tool gave, by name (empty ones left out)."""
    return {name: clean_text(url, 2048) for name, url in urls.items() if clean_text(url, 2048)}
