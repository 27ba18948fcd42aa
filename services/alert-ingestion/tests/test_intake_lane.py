"""POST /api/v1/alerts answers the same (status and body) through the fast lane (intake.py) and
through its regular route (router.py), for valid and invalid bodies alike."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from nightwatch_core.testing.plugin import running_app

from .conftest import AppFactory

VOLATILE = {"alert_id", "id", "incident_id", "fingerprint", "request_id"}
JSON = {"content-type": "application/json"}


def _alert(service: str, **fields: Any) -> str:
    import json

    return json.dumps({"service": service, "severity": "high", "message": "disk full", **fields})


# name -> (body for a service name, headers). Each client gets a service of its own, so the
# second never finds the first's alert already there.
CASES: dict[str, tuple[Callable[[str], bytes | str], dict[str, str]]] = {
    "one alert": (lambda s: _alert(s), JSON),
    "a batch": (lambda s: f"[{_alert(s)}, {_alert(s, severity='low')}]", JSON),
    "no content type": (lambda s: _alert(s), {}),
    "content type with charset": (
        lambda s: _alert(s),
        {"content-type": "application/json; charset=utf-8"},
    ),
    "duplicate keys (the last wins)": (
        lambda s: f'{{"service": "{s}", "severity": "low", "severity": "high", "message": "m"}}',
        JSON,
    ),
    "UTF-8 byte order mark": (lambda s: b"\xef\xbb\xbf" + _alert(s).encode(), JSON),
    "NUL byte in a string": (lambda s: _alert(s, message="a\u0000b"), JSON),
    "NUL byte in a label key": (lambda s: _alert(s, labels={"e\u0000nv": "prod"}), JSON),
    "lone surrogate": (lambda s: _alert(s).replace("disk full", "\\ud800"), JSON),
    "wrong type: severity": (lambda s: _alert(s, severity=5), JSON),
    "wrong type: labels": (lambda s: _alert(s, labels=["env"]), JSON),
    "wrong type: a JSON string": (lambda s: '"an alert"', JSON),
    "wrong type: null": (lambda s: "null", JSON),
    "integer past 64 bits": (lambda s: _alert(s, severity=2**70), JSON),
    "NaN": (lambda s: _alert(s).replace('"disk full"', "NaN"), JSON),
    "unknown field": (lambda s: _alert(s, owner="me"), JSON),
    "missing field": (lambda s: f'{{"service": "{s}"}}', JSON),
    "invalid timestamp": (lambda s: _alert(s, timestamp="yesterday"), JSON),
    "empty batch": (lambda s: "[]", JSON),
    "batch over 1000": (lambda s: "[" + ",".join([_alert(s)] * 1001) + "]", JSON),
    "bad JSON": (lambda s: "{nope", JSON),
    "truncated JSON": (lambda s: _alert(s)[:-1], JSON),
    "empty body": (lambda s: b"", JSON),
    "deeply nested": (lambda s: "[" * 5000 + "]" * 5000, JSON),
    "huge body": (lambda s: _alert(s, message="x" * 2_000_000), JSON),
    "text/plain": (lambda s: _alert(s), {"content-type": "text/plain"}),
    "form encoded": (lambda s: "service=a", {"content-type": "application/x-www-form-urlencoded"}),
}


def comparable(response: httpx.Response, service: str) -> tuple[int, Any]:
    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "<volatile>" if k in VOLATILE else scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value.replace(service, "<service>") if isinstance(value, str) else value

    return response.status_code, scrub(response.json())


@pytest.mark.parametrize("case", sorted(CASES))
async def test_the_lane_and_the_route_answer_the_same(ingestion: AppFactory, case: str) -> None:
    body, headers = CASES[case]
    answers = []
    async with ingestion() as (laned, with_lane), ingestion() as (plain, without_lane):
        assert laned._lanes  # type: ignore[attr-defined]
        plain._lanes.clear()  # type: ignore[attr-defined]
        for client in (with_lane, without_lane):
            service = f"svc-{uuid.uuid4().hex[:10]}"
            response = await client.post("/api/v1/alerts", content=body(service), headers=headers)
            answers.append(comparable(response, service))
    assert answers[0] == answers[1]
    assert answers[0][0] < 500, answers[0]


async def test_without_the_service_credential_both_answer_401(ingestion: AppFactory) -> None:
    answers = []
    async with ingestion() as (laned, _), ingestion() as (plain, _):
        plain._lanes.clear()  # type: ignore[attr-defined]
        for app in (laned, plain):
            async with running_app(app, service_credential=False) as anonymous:
                response = await anonymous.post(
                    "/api/v1/alerts", content=_alert("svc-anon"), headers=JSON
                )
            answers.append(comparable(response, "svc-anon"))
    assert answers[0] == answers[1]
    assert answers[0][0] == 401
