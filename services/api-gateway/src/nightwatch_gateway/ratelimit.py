"""Rate limits per API key, per user, and per client address for unauthenticated requests.

The `limits` library's sliding-window counter (a smoothed fixed window: no double burst at window
edges, O(1) memory per identity, atomic in Redis), so several replicas sharing a store count
together. A store outage lets requests through (counted in a metric): paging must not stop
because the limiter's Redis is down.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from nightwatch_core.errors import ApiError

from nightwatch_gateway import metrics
from nightwatch_gateway.settings import GatewaySettings

log = logging.getLogger("nightwatch.gateway.ratelimit")

ROUTE_CLASSES = (
    "login",
    "login_address",
    "unauthenticated",
    "read",
    "write",
    "ingest",
    "admin",
    "integration",
)


class RateLimiter:
    def __init__(self, settings: GatewaySettings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.storage = storage_from_string(settings.rate_limit_storage_url)
        self._limiter = SlidingWindowCounterRateLimiter(self.storage)  # type: ignore[arg-type]
        self.limits: dict[str, RateLimitItem] = {
            route_class: parse(getattr(settings, f"rate_limit_{route_class}"))
            for route_class in ROUTE_CLASSES
        }

    async def check(self, route_class: str, identity: str) -> None:
        """Count one request; raise 429 (with Retry-After and RateLimit headers) when over."""
        if not self.enabled:
            return
        item = self.limits[route_class]
        try:
            allowed = await self._limiter.hit(item, route_class, identity)
            if allowed:
                return
            stats = await self._limiter.get_window_stats(item, route_class, identity)
        except Exception as exc:  # the store is down: let the request through
            metrics.RATE_LIMIT_STORE_ERRORS.inc()
            log.warning("rate limit store unavailable: %s", type(exc).__name__)
            return
        metrics.RATE_LIMITED.labels(route_class).inc()
        window = item.get_expiry()
        retry_after = max(1, min(window, math.ceil(stats.reset_time - time.time())))
        amount = item.amount
        raise ApiError(
            429,
            f"Rate limit of {amount} requests per {window}s exceeded for {route_class} requests; "
            f"retry after {retry_after}s",
            code="rate_limited",
            headers={
                "Retry-After": str(retry_after),
                # draft-ietf-httpapi-ratelimit-headers
                "RateLimit": f"limit={amount}, remaining=0, reset={retry_after}",
                "RateLimit-Policy": f"{amount};w={window}",
            },
        )
