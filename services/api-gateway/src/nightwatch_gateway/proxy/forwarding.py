"""Forward one authenticated request to its upstream over the shared connection pool.

It talks to the pooled transport directly, not through an `httpx.AsyncClient`: a client keeps a
cookie jar (one caller's cookies must never ride along on another's request) and adds redirect
and auth handling a proxy must not do, at a cost on every request.

The request body arrives whole (read by the router within a timeout before a connection is
taken: proxy/admission.py); large responses stream back as they come, small ones are read whole,
which is cheaper than streaming on the alert hot path.
A refused connection answers 503, a timeout 504, any other transport failure 502: fast, in the
common error body, never a hang.
"""

from __future__ import annotations

import time
from urllib.parse import unquote

import httpx
from nightwatch_core.errors import ApiError
from nightwatch_core.request_context import current_request_id
from nightwatch_core.service_auth import SERVICE_TOKEN_BYTES
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from nightwatch_gateway import metrics
from nightwatch_gateway.auth.policy import Principal
from nightwatch_gateway.proxy.routes import Upstream

_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Never passed upstream: credentials stay at the gateway, the actor and request id are ours to set.
_DROP_REQUEST = _HOP_BY_HOP | {
    b"host",
    b"authorization",
    b"x-api-key",
    b"x-actor",
    b"x-request-id",
    b"cookie",
    SERVICE_TOKEN_BYTES,
    b"x-integration-key",
}
# date and server: the gateway's server writes its own (two of each otherwise); location: rewritten.
DROP_RESPONSE = _HOP_BY_HOP | {
    b"x-request-id",
    b"content-length",
    b"set-cookie",
    b"date",
    b"server",
    b"location",
}
_BUFFER_LIMIT = 256 * 1024
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def unsafe_path(path: str) -> bool:
    """Dot segments could climb out of /api/v1 (towards /internal/v1) once the upstream normalises."""
    decoded = unquote(path)
    return any(segment in (".", "..") for segment in decoded.split("/")) or "\\" in decoded


def upstream_request_headers(
    request: Request, principal: Principal, integration_key: str | None = None
) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in request.scope["headers"] if k not in _DROP_REQUEST]
    # What lets the service believe the X-Actor below (nightwatch_core/service_auth.py).
    headers.append((SERVICE_TOKEN_BYTES, _service_credential(request)))
    client = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    headers.append(
        (b"x-forwarded-for", f"{forwarded}, {client}".encode() if forwarded else client.encode())
    )
    headers.append((b"x-forwarded-proto", request.url.scheme.encode()))
    headers.append((b"x-actor", principal.actor.encode()))
    if integration_key is not None:  # checked by the service that owns integrations
        headers.append((b"x-integration-key", integration_key.encode()))
    request_id = current_request_id()
    if request_id:
        headers.append((b"x-request-id", request_id.encode()))
    return headers


def _service_credential(request: Request) -> bytes:
    encoded: bytes | None = request.app.state.service_credential.encoded
    if encoded is None:  # not read yet: the database was down when the gateway started
        raise ApiError(
            503,
            "The gateway cannot reach its database yet; retry shortly",
            code="service_credential_unavailable",
            headers={"Retry-After": "2"},
        )
    return encoded


async def forward(
    request: Request,
    *,
    body: bytes | None,
    transport: httpx.AsyncBaseTransport,
    upstream_timeout: httpx.Timeout,
    upstream: Upstream,
    principal: Principal,
    route_class: str,
    integration_key: str | None = None,
) -> Response:
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    url = httpx.URL(upstream.base_url).copy_with(
        raw_path=raw_path + (b"?" + query if query else b"")
    )
    outgoing = httpx.Request(
        request.method,
        url,
        headers=upstream_request_headers(request, principal, integration_key),
        content=body,
        extensions={"timeout": upstream_timeout.as_dict()},
    )
    started = time.perf_counter()
    try:
        try:
            response = await transport.handle_async_request(outgoing)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            # A pooled connection the upstream had just closed: a request without a body and
            # with a safe method is sent again once, on a fresh connection.
            if request.method not in _SAFE_METHODS or body is not None:
                raise
            response = await transport.handle_async_request(outgoing)
    except httpx.TransportError as exc:
        error = upstream_error(exc, upstream)
        count_proxied(route_class, upstream, error.status_code)
        raise error from exc
    metrics.UPSTREAM_LATENCY.labels(upstream.service).observe(time.perf_counter() - started)
    count_proxied(route_class, upstream, response.status_code)
    headers = [(k, v) for k, v in response.headers.raw if k.lower() not in DROP_RESPONSE]
    location = response.headers.get("location")
    if location is not None:
        headers.append((b"location", public_location(location, upstream).encode()))
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) <= _BUFFER_LIMIT:
        try:
            body = b"".join([chunk async for chunk in response.aiter_raw()])
        except httpx.TransportError as exc:
            raise ApiError(
                502, f"The {upstream.service} service broke off its answer", code="bad_gateway"
            ) from exc
        finally:
            await response.aclose()
        proxied = Response(content=body, status_code=response.status_code)
    else:
        proxied = StreamingResponse(
            response.aiter_raw(),
            status_code=response.status_code,
            background=BackgroundTask(response.aclose),
        )
        if length is not None:
            proxied.headers["content-length"] = length
    proxied.raw_headers.extend((k.lower(), v) for k, v in headers)
    return proxied


def public_location(location: str, upstream: Upstream) -> str:
    """An upstream's redirect to itself (FastAPI's trailing-slash 307 names the internal
    address) becomes a path on the gateway: following it must not leak nor skip the gateway."""
    target = httpx.URL(location)
    if target.is_relative_url:
        return location
    base = httpx.URL(upstream.base_url)
    if (target.host, target.port) != (base.host, base.port):
        return location
    path = target.raw_path.decode("ascii")
    return path if path.startswith("/") else "/" + path


def upstream_error(exc: httpx.TransportError, upstream: Upstream) -> ApiError:
    """A refused connection is 503 (the service is down), a timeout 504, anything else 502."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return upstream_unavailable(upstream)
    if isinstance(exc, httpx.TimeoutException):
        return upstream_timeout(upstream)
    return upstream_broken(upstream, type(exc).__name__)


def upstream_unavailable(upstream: Upstream) -> ApiError:
    return ApiError(
        503,
        f"The {upstream.service} service is unavailable; retry shortly",
        code="upstream_unavailable",
        details={"service": upstream.service},
        headers={"Retry-After": "5"},
    )


def upstream_timeout(upstream: Upstream) -> ApiError:
    message = f"The {upstream.service} service did not answer in time"
    return ApiError(504, message, code="upstream_timeout", details={"service": upstream.service})


def upstream_broken(upstream: Upstream, what: str) -> ApiError:
    message = f"The {upstream.service} service failed to answer ({what})"
    return ApiError(502, message, code="bad_gateway", details={"service": upstream.service})


def count_proxied(route_class: str, upstream: Upstream, status: int) -> None:
    metrics.PROXIED_REQUESTS.labels(route_class, upstream.service, str(status)).inc()
