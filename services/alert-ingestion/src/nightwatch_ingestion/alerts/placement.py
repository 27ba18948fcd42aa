"""Asking incident-management which incident each alert joins (it owns that decision).

One call places a whole batch: ``POST /internal/v1/alert-batches`` with the batch's id, so a
batch sent again — the link worker after a timeout whose answer was lost — is answered the same
instead of counted twice. Calls are bounded in bytes (incident-management takes bodies up to
1 MiB) and in alerts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from nightwatch_core.http_client import ServiceClient

from nightwatch_ingestion.alerts.schemas import CorrelationResult

PLACE_ROUTE = "/internal/v1/alert-batches"
MAX_CALL_ALERTS = 1000
# Well under incident-management's 1 MiB body limit, even with 64 labels of 1 KiB on an alert.
MAX_CALL_BYTES = 512 * 1024
_ITEM_OVERHEAD = 320  # ids, fingerprint, field names, time


@dataclass(frozen=True)
class Prepared:
    """An accepted alert, validated, fingerprinted, its team decided: ready to place and store."""

    alert_id: uuid.UUID
    service: str
    severity: str
    fingerprint: str
    message: str
    labels: dict[str, str]
    labels_json: str
    timestamp: datetime | None
    team: str
    received_at: datetime
    # Where it came from (api or an integration type) and what the source said about it.
    source: str = "api"
    integration_id: uuid.UUID | None = None
    event: str = "trigger"  # trigger | resolve | acknowledge
    actor: str | None = None  # integration:<name>: who resolves/acknowledges its incident
    auto_resolve: bool = True
    details_json: str | None = None  # annotations and links
    # Routing decided on this request (routing/engine.py): what set the team, or unrouted; a
    # routing rule that suppresses it. Alerts read back from the database carry none of these.
    routed_by: str | None = None
    unrouted: bool = False
    suppressed_by_rule: uuid.UUID | None = None

    @property
    def size(self) -> int:
        """About what this alert adds to a call's body."""
        extra = len(self.details_json) if self.details_json else 0
        return (
            len(self.message) + len(self.labels_json) + len(self.service) + extra + _ITEM_OVERHEAD
        )


@dataclass(frozen=True)
class Origin:
    """What an integration adds to an alert it sent: its identity (the tool's fingerprint or
    dedup key, scoped to the integration), what the tool said, who acts on the incident."""

    source: str
    integration_id: uuid.UUID
    actor: str
    auto_resolve: bool
    default_team: str | None
    fingerprint: str
    event: str
    details_json: str | None

    def fields(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "integration_id": self.integration_id,
            "actor": self.actor,
            "auto_resolve": self.auto_resolve,
            "details_json": self.details_json,
        }


@dataclass(frozen=True)
class Placed:
    incident_id: uuid.UUID | None  # None: a resolve/acknowledge no open incident holds
    result: CorrelationResult


class IncidentCallFailed(Exception):
    """incident-management did not place the batch (down, slow, failing or refusing)."""

    def __init__(self, reason: str, *, permanent: bool = False, unavailable: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent  # refused for good (4xx): retrying would not help
        # Down, slow or saying so (502/503/504): every batch would fail alike right now.
        self.unavailable = unavailable


def chunks(alerts: list[Prepared]) -> list[list[Prepared]]:
    """Consecutive runs of alerts, each small enough for one call."""
    runs: list[list[Prepared]] = [[]]
    size = 0
    for alert in alerts:
        if runs[-1] and (len(runs[-1]) >= MAX_CALL_ALERTS or size + alert.size > MAX_CALL_BYTES):
            runs.append([])
            size = 0
        runs[-1].append(alert)
        size += alert.size
    return [run for run in runs if run]


def _item(alert: Prepared) -> dict[str, Any]:
    item: dict[str, Any] = {
        "alert_id": str(alert.alert_id),
        "service": alert.service,
        "severity": alert.severity,
        "fingerprint": alert.fingerprint,
        "message": alert.message,
        "labels": alert.labels,
        "team": alert.team,
        "received_at": alert.received_at.isoformat(),
    }
    # Only when not the defaults: the hot path's bodies stay as they were.
    if alert.event != "trigger":
        item["action"] = alert.event
    if alert.actor is not None:
        item["actor"] = alert.actor
    if not alert.auto_resolve:
        item["auto_resolve"] = False
    return item


def batch_body(batch_id: uuid.UUID, alerts: list[Prepared]) -> bytes:
    """The body of ``POST /internal/v1/alert-batches`` (``nightwatch_contracts.alert_placement.
    AlertBatchIn``), written as plain dicts: this is the alert hot path, and
    tests/test_contracts.py holds it to the contract."""
    return orjson.dumps({"batch_id": str(batch_id), "alerts": [_item(a) for a in alerts]})


async def place(
    client: ServiceClient, *, batch_id: uuid.UUID, alerts: list[Prepared]
) -> dict[uuid.UUID, Placed]:
    """Each alert's incident and result, keyed by alert id; raises IncidentCallFailed."""
    body = batch_body(batch_id, alerts)
    try:
        response = await client.post(
            PLACE_ROUTE, content=body, idempotency_key=f"nightwatch-alert-batch-{batch_id}"
        )
    except Exception as exc:  # transport errors and timeouts: the neighbour is down or slow
        raise IncidentCallFailed(f"{type(exc).__name__}: {exc}", unavailable=True) from exc
    if response.status_code != 200:
        raise IncidentCallFailed(
            f"HTTP {response.status_code}: {response.text[:300]}",
            permanent=response.status_code in (400, 404, 409, 413, 422),
            unavailable=response.status_code in (502, 503, 504),
        )
    try:
        results = orjson.loads(response.content)["results"]
        placed = {
            uuid.UUID(r["alert_id"]): Placed(
                uuid.UUID(r["incident_id"]) if r["incident_id"] is not None else None,
                CorrelationResult(r["result"]),
            )
            for r in results
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise IncidentCallFailed(f"unexpected answer: {response.text[:300]}") from exc
    if set(placed) != {a.alert_id for a in alerts}:
        raise IncidentCallFailed("the answer does not place exactly the alerts sent")
    return placed
