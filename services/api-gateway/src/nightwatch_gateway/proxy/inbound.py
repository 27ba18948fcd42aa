"""The integrations' inbound endpoints (issue #13): forwarded without a login or API key.

Each carries its integration's key — ``Authorization: Bearer <key>`` from Alertmanager and
Grafana, ``routing_key`` in the body from PagerDuty senders. alert-ingestion owns integrations
and verifies the key against its hash (with a short cache, like this gateway's credential
cache), so the gateway does no database lookup here: it passes the key on as
``X-Integration-Key``, rate limits per key (so per integration), and counts a refused key
against the sender's address like any failed credential.
"""

from __future__ import annotations

import hashlib

import orjson
from fastapi import Request
from starlette.responses import Response

from nightwatch_gateway.auth.authentication import extract_credential
from nightwatch_gateway.auth.dependencies import client_address, rate_limiter
from nightwatch_gateway.auth.policy import Principal
from nightwatch_gateway.proxy.forwarding import forward
from nightwatch_gateway.proxy.routes import PAGERDUTY_INBOUND, Upstream

INTEGRATION_SENDER = Principal(kind="integration", id="integration", name="integration", role=None)
# PagerDuty's own limit for an event; its senders never send more.
_MAX_PAGERDUTY_BODY = 512 * 1024


async def _key_of(request: Request) -> str | None:
    if request.url.path == PAGERDUTY_INBOUND:
        body = await request.body()  # small; kept by Starlette and streamed on from memory
        if len(body) > _MAX_PAGERDUTY_BODY:
            return None
        try:
            key = orjson.loads(body).get("routing_key")
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return key if isinstance(key, str) and key else None
    try:
        return extract_credential(request.headers.get("authorization"), None)
    except Exception:  # malformed: the service answers 401 in the tool's dialect
        return None


async def forward_inbound(request: Request, upstream: Upstream, *, body: bytes | None) -> Response:
    key = await _key_of(request)
    limiter = rate_limiter(request)
    if key is not None:
        identity = hashlib.sha256(key.encode()).hexdigest()[:32]
        await limiter.check("integration", f"integration:{identity}")
    else:
        await limiter.check("unauthenticated", f"ip:{client_address(request)}")
    response = await forward(
        request,
        body=body,
        transport=request.app.state.proxy_transport,
        upstream_timeout=request.app.state.proxy_timeout,
        upstream=upstream,
        principal=INTEGRATION_SENDER,
        route_class="integration",
        integration_key=key if request.url.path != PAGERDUTY_INBOUND else None,
    )
    if response.status_code == 401 and key is not None:
        # A wrong key costs the sender's address, so guessing keys is slow.
        await limiter.check("unauthenticated", f"ip:{client_address(request)}")
    return response
