"""In-flight counts shared by every gateway process, in Redis (issue #12, finding 3).

Each request in flight holds a *lease* in a sorted set per caller (member: a random id, score: the
lease's end on Redis's own clock, so replicas' clocks never disagree). Taking one is a single Lua
script — drop ended leases, count, add — so two replicas can never both take the last slot. A
request gives its lease back when it ends; a gateway that dies (kill -9) cannot, and its leases
end by themselves after ``lease_seconds`` (the body timeout plus the upstream timeout plus a
margin), so a crash frees its callers' slots within that time. A request that outlives its lease
(a long answer streamed back) stops counting across replicas; its own process still counts it.

The store answering slowly or not at all must not stop paging: any error means "not counted
here" and the caller falls back to the process's own count (``gateway_in_flight_store_errors_total``);
after an error the store is not asked again for ``RETRY_STORE_SECONDS``, so an unreachable Redis
costs one connection attempt per few seconds, not one per request.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

import coredis
from coredis.retry import NoRetryPolicy

from nightwatch_gateway import metrics

log = logging.getLogger("nightwatch.gateway.in_flight")
RETRY_STORE_SECONDS = 5.0

# KEYS[1]: the caller's lease set. ARGV: cap, lease length (ms), new lease id.
# 1: taken; 0: the caller already holds `cap` leases that have not ended.
_TAKE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


class AtCapacity(Exception):
    """The caller already holds as many leases as the cap allows, across all processes."""


class SharedLeases:
    def __init__(
        self, url: str, *, namespace: str, lease_seconds: float, timeout_seconds: float = 0.5
    ) -> None:
        self._client: coredis.Redis[str] = coredis.Redis.from_url(
            url,
            decode_responses=True,
            connect_timeout=timeout_seconds,
            stream_timeout=timeout_seconds,
            retry_policy=NoRetryPolicy(),
        )
        self._take = self._client.register_script(_TAKE)
        self._namespace = namespace
        self._lease_ms = int(lease_seconds * 1000)
        self._unavailable_until = 0.0

    def _unavailable(self, exc: Exception | None) -> None:
        metrics.IN_FLIGHT_STORE_ERRORS.inc()
        if exc is not None:
            self._unavailable_until = time.monotonic() + RETRY_STORE_SECONDS
            log.warning("in-flight store unavailable: %s", type(exc).__name__)

    def _key(self, scope: str, caller: str) -> str:
        return f"{self._namespace}:in-flight:{scope}:{caller}"

    async def take(self, scope: str, caller: str, cap: int) -> str | None:
        """A lease id; None when the store could not be asked (count in this process only).
        Raises AtCapacity past the cap."""
        if time.monotonic() < self._unavailable_until:
            self._unavailable(None)
            return None
        lease = secrets.token_hex(8)
        try:
            taken: Any = await self._take(
                keys=[self._key(scope, caller)], args=[cap, self._lease_ms, lease]
            )
        except Exception as exc:  # the store is down or slow: the process's own count decides
            self._unavailable(exc)
            return None
        if int(taken) != 1:
            raise AtCapacity
        return lease

    async def give_back(self, scope: str, caller: str, lease: str) -> None:
        try:
            await self._client.zrem(self._key(scope, caller), [lease])
        except Exception as exc:  # the lease ends by itself
            self._unavailable(exc)
