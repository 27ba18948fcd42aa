"""What one caller may hold of the gateway at a time (issue #12, finding 3).

205 slow-body requests from one viewer key once held all 200 upstream connections: everyone
else got 504 and readiness went 503. Three bounds together keep that from happening:

- the request body is read whole *before* an upstream connection is taken, within
  ``REQUEST_BODY_TIMEOUT_SECONDS`` (408 after): a slow sender holds nothing but its own task;
- requests in flight are capped per credential (``MAX_IN_FLIGHT_PER_CREDENTIAL``) and per client
  address (``MAX_IN_FLIGHT_PER_ADDRESS``, counted before authentication): past the cap, an
  immediate ``429 too_many_in_flight``;
- each cap is below ``PROXY_MAX_CONNECTIONS`` (checked at start), so one caller always leaves a
  reserve of the pool to the others; readiness and the OpenAPI use a pool of their own;
- a refusal is answered after ``IN_FLIGHT_REFUSAL_DELAY_SECONDS`` (1 s, the ``Retry-After``),
  not at once: a caller that sends again the moment it is refused (205 slow bodies reopened at
  once came back ~1,000 times a second) then costs the gateway one cheap answer per connection
  per second instead of taking its CPU from everyone else. Waiting costs no CPU and holds no
  upstream connection; at most ``MAX_DELAYED_REFUSALS`` wait at once, past that they are
  answered at once.

Each process counts its own requests (that protects its pool). With a shared store
(``RATE_LIMIT_STORAGE_URL=redis://…``, what several replicas need for the rate limits too) the
caps also hold across every gateway process: a caller gets ``MAX_IN_FLIGHT_PER_CREDENTIAL`` in
flight in total, not that many per replica (``proxy/shared_leases.py``). If the store stops
answering, the process's own count decides alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from nightwatch_core.errors import ApiError
from starlette.requests import Request

from nightwatch_gateway import metrics
from nightwatch_gateway.proxy.shared_leases import AtCapacity, SharedLeases


class RefusalPacer:
    """Refusals wait ``delay`` seconds before they are answered, at most ``max_waiting`` at once."""

    def __init__(self, *, delay: float, max_waiting: int) -> None:
        self.delay = delay
        self.max_waiting = max_waiting
        self.waiting = 0

    async def pace(self) -> None:
        if self.delay <= 0 or self.waiting >= self.max_waiting:
            return
        self.waiting += 1
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.waiting -= 1


class InFlightCap:
    def __init__(
        self,
        limit: int,
        *,
        scope: str,
        pacer: RefusalPacer,
        shared: SharedLeases | None = None,
    ) -> None:
        self._limit = limit
        self._scope = scope
        self._counts: dict[str, int] = {}
        self._pacer = pacer
        self._shared = shared

    async def _refuse(self) -> ApiError:
        metrics.IN_FLIGHT_REFUSED.labels(self._scope).inc()
        await self._pacer.pace()
        return ApiError(
            429,
            f"Too many requests in flight for this {self._scope} (at most {self._limit} at "
            "once through the gateway); wait for answers before sending more",
            code="too_many_in_flight",
            headers={"Retry-After": "1"},
        )

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        count = self._counts.get(key, 0)
        if count >= self._limit:
            raise await self._refuse()
        self._counts[key] = count + 1
        try:
            lease = None
            if self._shared is not None:
                try:
                    lease = await self._shared.take(self._scope, key, self._limit)
                except AtCapacity:
                    raise await self._refuse() from None
            try:
                yield
            finally:
                if lease is not None:
                    assert self._shared is not None
                    await self._shared.give_back(self._scope, key, lease)
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
        pacer: RefusalPacer,
        shared: SharedLeases | None = None,
        streams_per_credential: int = 4,
    ) -> None:
        self.per_credential = InFlightCap(
            per_credential, scope="credential", pacer=pacer, shared=shared
        )
        self.per_address = InFlightCap(per_address, scope="address", pacer=pacer, shared=shared)
        # Held for a stream's whole life, not just until its headers (proxy/router.py); counted
        # per process: a lease would run out under a console left open for hours.
        self.streams = InFlightCap(
            streams_per_credential, scope="event stream of a credential", pacer=pacer
        )
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
