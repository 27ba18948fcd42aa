"""Forwarding on the alert path's fast lane: the lean upstream client (nightwatch_core.upstream)
instead of httpx, for routes whose answers are small and read whole.

Same contract as proxy/forwarding.py's ``forward``: the same headers go upstream (credentials
dropped, the service credential, actor, request id and forwarded address added), the same
headers come back, the same 502/503/504 bodies and the same proxied-request metrics. Only a
request that reached no upstream byte-for-byte is ever retried (safe methods, see the client).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from nightwatch_core.upstream import (
    UpstreamBroken,
    UpstreamPool,
    UpstreamTimeout,
    UpstreamUnavailable,
    request_bytes,
)
from starlette.requests import Request
from starlette.responses import Response

from nightwatch_gateway import metrics
from nightwatch_gateway.auth.policy import Principal
from nightwatch_gateway.proxy.forwarding import (
    DROP_RESPONSE,
    count_proxied,
    public_location,
    upstream_broken,
    upstream_request_headers,
    upstream_timeout,
    upstream_unavailable,
)
from nightwatch_gateway.proxy.routes import Upstream

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NOT_FORWARDED = frozenset({b"content-length"})  # set anew for the body actually sent


class LeanPools:
    """One lean pool per upstream service, opened at start and closed at stop."""

    def __init__(
        self,
        upstreams: list[Upstream],
        *,
        max_connections: int,
        keepalive_seconds: float,
        connect_timeout: float,
        timeout: float,
    ) -> None:
        self.timeout = timeout
        self._pools: dict[str, tuple[UpstreamPool, bytes]] = {}
        for upstream in upstreams:
            parts = urlsplit(upstream.base_url)
            host, port = parts.hostname or "127.0.0.1", parts.port or 80
            pool = UpstreamPool(
                host,
                port,
                max_connections=max_connections,
                keepalive_seconds=keepalive_seconds,
                connect_timeout=connect_timeout,
            )
            self._pools[upstream.service] = (pool, parts.netloc.encode())

    def of(self, upstream: Upstream) -> tuple[UpstreamPool, bytes]:
        return self._pools[upstream.service]

    async def aclose(self) -> None:
        for pool, _ in self._pools.values():
            await pool.aclose()


async def forward_lean(
    request: Request,
    *,
    body: bytes | None,
    upstream: Upstream,
    principal: Principal,
    route_class: str,
) -> Response:
    pools: LeanPools = request.app.state.lean_pools
    pool, host = pools.of(upstream)
    scope = request.scope
    target: bytes = scope.get("raw_path") or request.url.path.encode()
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    headers = [
        h for h in upstream_request_headers(request, principal) if h[0] not in _NOT_FORWARDED
    ]
    data = request_bytes(request.method, target, host=host, headers=headers, body=body or b"")
    started = time.perf_counter()
    try:
        answer = await pool.request(
            data, answer_within=pools.timeout, retry_if_unanswered=request.method in _SAFE_METHODS
        )
    except UpstreamUnavailable:
        error = upstream_unavailable(upstream)
    except UpstreamTimeout:
        error = upstream_timeout(upstream)
    except UpstreamBroken as exc:
        error = upstream_broken(upstream, str(exc))
    else:
        metrics.UPSTREAM_LATENCY.labels(upstream.service).observe(time.perf_counter() - started)
        count_proxied(route_class, upstream, answer.status)
        proxied = Response(content=answer.body, status_code=answer.status)
        for name, value in answer.headers:
            if name == b"location":
                value = public_location(value.decode("latin-1"), upstream).encode("latin-1")
            elif name in DROP_RESPONSE:
                continue
            proxied.raw_headers.append((name, value))
        return proxied
    count_proxied(route_class, upstream, error.status_code)
    raise error
