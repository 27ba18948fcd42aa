"""The proxy's connection pools: several small ones, taken in turn.

httpcore's pool hands a free connection to a waiting request by scanning every queued request
against every pooled connection (each check asks the socket whether it is readable), on every
request start and end: with 50 requests in flight this scan was half of the gateway's CPU
(py-spy, docs/benchmarks.md) and capped the public alert path at ~80 alerts/s. Shards of at most
``SHARD_CONNECTIONS`` keep every scan short; round robin spreads the load evenly.
"""

from __future__ import annotations

import itertools
import math

import httpx

SHARD_CONNECTIONS = 8


class ShardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_connections: int, keepalive_expiry: float) -> None:
        shards = max(1, math.ceil(max_connections / SHARD_CONNECTIONS))
        per_shard = max(1, math.ceil(max_connections / shards))
        limits = httpx.Limits(
            max_connections=per_shard,
            max_keepalive_connections=per_shard,
            keepalive_expiry=keepalive_expiry,
        )
        self._shards = [httpx.AsyncHTTPTransport(limits=limits) for _ in range(shards)]
        self._next = itertools.cycle(self._shards)

    @property
    def shards(self) -> int:
        return len(self._shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()
