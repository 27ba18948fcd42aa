"""One test per service-to-service call: the body the sender builds (with the sender's own code) is
what the receiver's route declares in its OpenAPI, and the receiver's route takes the shared model
from ``nightwatch_contracts``. If either end drifts from the contract, its test here fails."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from jsonschema import Draft202012Validator
from nightwatch_contracts import alert_placement, escalations, notifications, timeline
from nightwatch_contracts.vocabulary import TRANSITIONS, IncidentStatus, Severity
from nightwatch_incidents.incidents import flows, stopping
from nightwatch_incidents.main import create_app as create_incidents
from nightwatch_incidents.settings import IncidentSettings
from nightwatch_ingestion.alerts.placement import Prepared, batch_body
from nightwatch_notify.main import create_app as create_notify
from nightwatch_notify.settings import NotifySettings
from nightwatch_oncall.escalation import senders, steps
from nightwatch_oncall.main import create_app as create_oncall
from nightwatch_oncall.settings import OncallSettings
from pydantic import BaseModel

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
INCIDENT = uuid.UUID("0190aaaa-0000-7000-8000-000000000001")
PAGED_ALICE: dict[str, Any] = {
    "incident_id": INCIDENT,
    "recipient": "alice@example.com",
    "channel": "email",
    "subject": "[critical] CPU",
    "message": "checkout: CPU",
    "idempotency_key": "page:1",
    "user_name": "Alice",
}


@cache
def _app(name: str) -> FastAPI:
    factories = {
        "incidents": lambda: create_incidents(IncidentSettings()),
        "oncall": lambda: create_oncall(OncallSettings()),
        "notify": lambda: create_notify(NotifySettings()),
    }
    return factories[name]()


def _routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        included = getattr(route, "original_router", None)  # FastAPI's include_router wrapper
        found += _routes(getattr(included, "routes", []))
    return found


def _route(app: FastAPI, path: str) -> APIRoute:
    for route in _routes(app.routes):
        if route.path == path and "POST" in route.methods:
            return route
    raise AssertionError(f"no POST {path}")


def _body_model(app: FastAPI, path: str) -> Any:
    (param,) = _route(app, path).dependant.body_params
    return param.field_info.annotation


def _check_against_openapi(app: FastAPI, path: str, body: Any) -> None:
    """``body`` (as sent, JSON) is valid for the request schema of the receiver's OpenAPI."""
    document = app.openapi()
    schema = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    resolvable = {**schema["schema"], "components": document["components"]}
    errors = sorted(
        Draft202012Validator(resolvable).iter_errors(orjson.loads(orjson.dumps(body))), key=str
    )
    assert not errors, [error.message for error in errors]


def _pair(app: str, path: str, model: type[BaseModel], body: Any) -> None:
    assert _body_model(_app(app), path) is model, f"POST {path} must take {model.__name__}"
    model.model_validate(body)
    _check_against_openapi(_app(app), path, body)


def _prepared(**changes: Any) -> Prepared:
    fields: dict[str, Any] = {
        "alert_id": uuid.UUID("0190aaaa-0000-7000-8000-0000000000a1"),
        "service": "checkout",
        "severity": "high",
        "fingerprint": "f" * 64,
        "message": "HTTP 5xx > 10%",
        "labels": {"env": "prod"},
        "labels_json": '{"env": "prod"}',
        "timestamp": NOW,
        "team": "payments",
        "received_at": NOW,
    }
    return Prepared(**{**fields, **changes})


def test_ingestion_to_incidents_alert_batches() -> None:
    alerts = [
        _prepared(),
        _prepared(
            alert_id=uuid.UUID("0190aaaa-0000-7000-8000-0000000000a2"),
            event="resolve",
            actor="integration:grafana",
            auto_resolve=False,
        ),
    ]
    body = orjson.loads(batch_body(uuid.UUID("0190aaaa-0000-7000-8000-0000000000b1"), alerts))
    _pair("incidents", "/internal/v1/alert-batches", alert_placement.AlertBatchIn, body)


@dataclass
class _Incident:
    id: uuid.UUID
    team: str | None
    title: str
    service: str
    severity: str


def test_incidents_to_oncall_escalation_start() -> None:
    start = flows.escalation_start(_Incident(INCIDENT, "payments", "CPU", "checkout", "critical"))
    _pair("oncall", "/internal/v1/escalations", escalations.EscalationStart, start)
    batch = {"escalations": [start]}
    _pair("oncall", "/internal/v1/escalations/batch", escalations.EscalationStartBatch, batch)


def test_incidents_to_oncall_escalation_stop() -> None:
    for reason in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED):
        stop = stopping.escalation_stop(INCIDENT, reason=reason, actor="alice")
        one = {"reason": stop["reason"], "actor": stop["actor"]}
        path = "/internal/v1/escalations/{incident_id}/stop"
        _pair("oncall", path, escalations.EscalationStop, one)
        batch = {"stops": [stop]}
        _pair("oncall", "/internal/v1/escalations/stops", escalations.EscalationStopBatch, batch)


def test_oncall_to_incidents_timeline() -> None:
    job = steps.timeline_job(
        incident_id=INCIDENT,
        event_type="notification_sent",
        message="Paged alice by email",
        dedup_key="page:1",
        now=NOW,
        data={"channel": "email"},
    )
    entry = senders.timeline_entry(job.payload)
    batch = {"entries": [entry]}
    _pair("incidents", "/internal/v1/incidents/timeline/batch", timeline.TimelineBatch, batch)
    single = {k: v for k, v in entry.items() if k != "incident_id"}
    path = "/internal/v1/incidents/{incident_id}/timeline"
    _pair("incidents", path, timeline.TimelineCreate, single)


def test_oncall_to_notification_pages() -> None:
    page = steps.page_payload(**PAGED_ALICE)
    body = senders.page_body(page)
    _pair("notify", "/api/v1/notify", notifications.NotificationCreate, body)
    batch = {"notifications": [body]}
    path = "/internal/v1/notifications/batch"
    _pair("notify", path, notifications.NotificationBatch, batch)


@pytest.mark.parametrize(
    ("app", "path", "model"),
    [
        ("oncall", "/internal/v1/escalations", escalations.EscalationStart),
        ("incidents", "/internal/v1/incidents/timeline/batch", timeline.TimelineBatch),
        ("notify", "/api/v1/notify", notifications.NotificationCreate),
    ],
)
def test_a_body_the_contract_refuses_the_receiver_refuses(
    app: str, path: str, model: type[BaseModel]
) -> None:
    # Not a tautology of the checks above: the OpenAPI must not be looser than the model.
    document = _app(app).openapi()
    schema = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    resolvable = {**schema["schema"], "components": document["components"]}
    assert not Draft202012Validator(resolvable).is_valid({"unexpected": True})


def test_the_vocabulary_is_what_the_services_publish() -> None:
    incidents = _app("incidents").openapi()["components"]["schemas"]
    assert incidents["IncidentStatus"]["enum"] == [s.value for s in IncidentStatus]
    assert incidents["Severity"]["enum"] == [s.value for s in Severity]
    assert set(TRANSITIONS) == set(IncidentStatus)
    # Resolved is final, and every other status can reach it.
    assert TRANSITIONS[IncidentStatus.RESOLVED] == ()
    assert all(
        IncidentStatus.RESOLVED in TRANSITIONS[s] for s in IncidentStatus if s.value != "resolved"
    )
