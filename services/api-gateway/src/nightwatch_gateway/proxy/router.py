"""The catch-all `/api/v1/{path}` route: authenticate, authorize by the rule table, rate limit,
then forward. Registered after the gateway's own routes, so those win."""

from __future__ import annotations

from fastapi import APIRouter, Request
from nightwatch_core.errors import ApiError
from starlette.responses import Response

from nightwatch_gateway.auth.dependencies import (
    authenticate_request,
    authorize,
    client_address,
    rate_limiter,
)
from nightwatch_gateway.auth.policy import Need, Principal, need_for
from nightwatch_gateway.proxy.forwarding import forward, unsafe_path
from nightwatch_gateway.proxy.inbound import forward_inbound
from nightwatch_gateway.proxy.routes import RouteTable, is_capability_url, is_inbound

router = APIRouter()
# Who fetches a subscribable calendar feed: holds the feed's secret URL, nothing else.
CALENDAR_SUBSCRIBER = Principal(
    kind="calendar", id="calendar-feed", name="calendar-feed", role=None
)
PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@router.api_route("/api/v1/{path:path}", methods=PROXIED_METHODS, include_in_schema=False)
async def proxy(request: Request) -> Response:
    path = request.url.path
    route_table: RouteTable = request.app.state.route_table
    upstream = route_table.match(path)
    if upstream is None or unsafe_path(path):
        raise ApiError(404, "No such route; see /docs for the API", code="not_found")
    if is_inbound(request.method, path):
        return await forward_inbound(request, upstream)
    if is_capability_url(request.method, path):
        await rate_limiter(request).check("unauthenticated", f"ip:{client_address(request)}")
        principal, need = CALENDAR_SUBSCRIBER, Need.read
    else:
        principal = await authenticate_request(request, request.app.state.sessionmaker)
        need = need_for(request.method, path)
        await authorize(request, principal, need)
    return await forward(
        request,
        transport=request.app.state.proxy_transport,
        upstream_timeout=request.app.state.proxy_timeout,
        upstream=upstream,
        principal=principal,
        route_class=need.value,
    )
