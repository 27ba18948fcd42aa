"""The catch-all `/api/v1/{path}` route: authenticate, authorize by the rule table, rate limit,
then forward. Registered after the gateway's own routes, so those win."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from nightwatch_core.errors import ApiError
from nightwatch_core.fast_lane import FastLane
from starlette.background import BackgroundTask, BackgroundTasks
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from nightwatch_gateway.audit import service as audit
from nightwatch_gateway.auth.dependencies import (
    authenticate_request,
    authorize,
    client_address,
    rate_limiter,
)
from nightwatch_gateway.auth.policy import Need, Principal, need_for
from nightwatch_gateway.proxy.admission import Admission, read_body
from nightwatch_gateway.proxy.forwarding import forward, unsafe_path
from nightwatch_gateway.proxy.inbound import forward_inbound
from nightwatch_gateway.proxy.lean import forward_lean
from nightwatch_gateway.proxy.routes import (
    RouteTable,
    Upstream,
    is_capability_url,
    is_event_stream,
    is_heartbeat_ping,
    is_inbound,
)

router = APIRouter()
# Who fetches a subscribable calendar feed: holds the feed's secret URL, nothing else.
CALENDAR_SUBSCRIBER = Principal(
    kind="calendar", id="calendar-feed", name="calendar-feed", role=None
)
# Who pings a heartbeat: holds its ping URL (the key), nothing else.
HEARTBEAT_PINGER = Principal(
    kind="heartbeat", id="heartbeat-ping", name="heartbeat-ping", role=None
)
PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


PROXY_ROUTE = "/api/v1/{path:path}"


@router.api_route(PROXY_ROUTE, methods=PROXIED_METHODS, include_in_schema=False)
async def proxy(request: Request) -> Response:
    return await admit_and_forward(request, lean=False)


async def proxy_lane(scope: Scope, receive: Receive, send: Send, fallback: ASGIApp) -> None:
    """The alert path's fast lane (main.py): the same admission as the route, without
    FastAPI's routing and with the lean upstream client (proxy/lean.py)."""
    request = Request(scope, receive)
    response = await admit_and_forward(request, lean=True)
    await response(scope, receive, send)


# The lane runs the whole of the route (admit_and_forward) and the route declares nothing else:
# the app refuses to start when a dependency or parameter is added to it (fast_lane.py).
PROXY_LANE = FastLane(proxy_lane, route_path=PROXY_ROUTE)


async def admit_and_forward(request: Request, *, lean: bool) -> Response:
    """``lean``: forward with proxy/lean.py (small answers read whole), else proxy/forwarding.py."""
    path = request.url.path
    route_table: RouteTable = request.app.state.route_table
    upstream = route_table.match(path)
    if upstream is None or unsafe_path(path):
        raise ApiError(404, "No such route; see /docs for the API", code="not_found")
    caps: Admission = request.app.state.admission
    address = client_address(request)
    async with caps.per_address.hold(address):
        if is_inbound(request.method, path):
            body = await read_body(request, within_seconds=caps.body_timeout)
            return await forward_inbound(request, upstream, body=body)
        if is_capability_url(request.method, path):
            await rate_limiter(request).check("unauthenticated", f"ip:{address}")
            principal, need = CALENDAR_SUBSCRIBER, Need.read
        elif is_heartbeat_ping(request.method, path):
            await rate_limiter(request).check("unauthenticated", f"ip:{address}")
            principal, need = HEARTBEAT_PINGER, Need.read
        else:
            principal = await authenticate_request(request, request.app.state.sessionmaker)
            need = need_for(request.method, path)
            await authorize(request, principal, need)
        if is_event_stream(request.method, path):
            return await _forward_stream(request, caps, upstream, principal, need)
        async with caps.per_credential.hold(principal.rate_limit_identity):
            body = await read_body(request, within_seconds=caps.body_timeout)
            if lean:
                response = await forward_lean(
                    request,
                    body=body,
                    upstream=upstream,
                    principal=principal,
                    route_class=need.value,
                )
            else:
                response = await _forward(request, body, upstream, principal, need)
    if need is Need.admin and request.method not in SAFE_METHODS:
        # Schedules, policies, people, teams, channels, settings: every change passes here, so
        # the audit log sees them all without each service keeping its own (issue #12).
        await audit.record_alone(
            request,
            actor=principal.actor,
            action="settings.changed",
            target=f"{request.method} {path}",
            details={"service": upstream.service, "status": response.status_code},
            now=request.app.state.clock.now(),
        )
    return response


async def _forward_stream(
    request: Request, caps: Admission, upstream: Upstream, principal: Principal, need: Need
) -> Response:
    """An event stream holds one of its credential's stream places until it ends (the browser
    left, or the upstream closed it), not only until its headers are sent."""
    place = contextlib.AsyncExitStack()
    await place.enter_async_context(caps.streams.hold(principal.rate_limit_identity))
    try:
        response = await _forward(request, None, upstream, principal, need)
    except BaseException:
        await place.aclose()
        raise
    if response.background is None:  # answered whole (a 503 instead of a stream)
        await place.aclose()
    else:
        response.background = BackgroundTasks([response.background, BackgroundTask(place.aclose)])
    return response


async def _forward(
    request: Request, body: bytes | None, upstream: Upstream, principal: Principal, need: Need
) -> Response:
    return await forward(
        request,
        body=body,
        transport=request.app.state.proxy_transport,
        upstream_timeout=request.app.state.proxy_timeout,
        upstream=upstream,
        principal=principal,
        route_class=need.value,
    )
