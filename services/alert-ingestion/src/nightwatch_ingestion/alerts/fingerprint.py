"""The fingerprint: a stable identity of "the same alert", independent of label order."""

from __future__ import annotations

import hashlib

import orjson


def fingerprint(*, service: str, severity: str, message: str, labels: dict[str, str]) -> str:
    """SHA-256 (hex) of the canonical JSON of service, severity, message and sorted labels.

    The timestamp is left out on purpose: the same condition firing again is the same alert.
    """
    canonical = orjson.dumps(
        {"labels": labels, "message": message, "service": service, "severity": severity},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


def scoped(integration_id: object, dedup_key: str) -> str:
    """An integration's alert identity (Alertmanager fingerprint, PagerDuty dedup_key), scoped to
    the integration: two tools' keys never collide."""
    return hashlib.sha256(f"{integration_id}\x1f{dedup_key}".encode()).hexdigest()


def of_dedup_key(dedup_key: str) -> str:
    """The fingerprint of an alert sent with its own ``dedup_key`` (the API's generic body)."""
    return scoped("api", dedup_key)
