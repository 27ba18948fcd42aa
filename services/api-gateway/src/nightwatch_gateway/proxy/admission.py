"""What one caller may hold of the gateway at a time (issue #12, finding 3).

205 slow-body requests from one viewer key once held all 200 upstream connections: everyone
else got 504 and readiness went 503. Three bounds together keep that from happening:

- the request body is read whole *before* an upstream connection is taken, within
  ``REQUEST_BODY_TIMEOUT_SECONDS`` (408 after): a slow sender holds nothing but its own task;
- requests in flight are capped per credential (``MAX_IN_FLIGHT_PER_CREDENTIAL``) and per client
  address (``MAX_IN_FLIGHT_PER_ADDRESS``, counted before authentication): past the cap, an
  immediate ``429 too_many_in_flight``;
- each cap is below ``PROXY_MAX_CONNECTIONS`` (checked at start), so one caller always leaves a
  reserve of the pool to the others; readiness and the OpenAPI use a pool of their own.

Counts are per gateway process (like the ``memory://`` rate limits): a bound on what one
process gives one caller, which is what protects that process's pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from nightwatch_core.errors import ApiError
from starlette.requests import Request

from nightwatch_gateway import metrics


class InFlightCap:
    def __init__(self, limit: int, *, scope: str) -> None:
        self._limit = limit
        self._scope = scope
        self._counts: dict[str, int] = {}

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[None]:
        count = self._counts.get(key, 0)
        if count >= self._limit:
            metrics.IN_FLIGHT_REFUSED.labels(self._scope).inc()
            raise ApiError(
                429,
                f"Too many requests in flight for this {self._scope} (at most {self._limit} at "
                "once through the gateway); wait for answers before sending more",
                code="too_many_in_flight",
                headers={"Retry-After": "1"},
            )
        self._counts[key] = count + 1
        try:
            yield
        finally:
            left = self._counts[key] - 1
            if left:
                self._counts[key] = left
            else:
                del self._counts[key]

    def in_flight(self, key: str) -> int:
        return self._counts.get(key, 0)


class Admission:
    def __init__(
        self,
        *,
        per_credential: int,
        per_address: int,
        body_timeout_seconds: float,
        streams_per_credential: int = 4,
    ) -> None:
        self.per_credential = InFlightCap(per_credential, scope="credential")
        self.per_address = InFlightCap(per_address, scope="address")
        # Held for a stream's whole life, not just until its headers (proxy/router.py).
        self.streams = InFlightCap(streams_per_credential, scope="event stream of a credential")
        self.body_timeout = body_timeout_seconds


def has_body(request: Request) -> bool:
    headers = request.headers
    return "content-length" in headers or "transfer-encoding" in headers


async def read_body(request: Request, *, within_seconds: float) -> bytes | None:
    """The whole body (the core middleware still answers 413 past the limit), or 408."""
    if not has_body(request):
        return None
    try:
        async with asyncio.timeout(within_seconds):
            return await request.body()
    except TimeoutError:
        metrics.BODY_TIMEOUTS.inc()
        raise ApiError(
            408,
            f"The request body did not arrive within {within_seconds:g} s; send it at once",
            code="request_timeout",
            headers={"Connection": "close"},
        ) from None
