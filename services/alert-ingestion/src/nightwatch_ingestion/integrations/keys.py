"""Integration keys: generated, shown once, stored as SHA-256, verified with a short cache.

``nwi_<12 hex>_<43 random>``: the visible prefix finds the row, the hash of the whole key is
compared in constant time. A key differs from an API key (``nwk_``), so the gateway never takes
it as a credential: it is accepted only by its own integration's inbound endpoint.

The inbound path is hot (a storm is thousands of notifications), so a verified key is cached for
``INTEGRATION_KEY_CACHE_SECONDS`` (5) like the gateway's credential cache; a change through this
replica (rotate, delete, edit) clears it at once, other replicas within the cache time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import asyncpg
import orjson
from nightwatch_core.errors import DatabaseUnavailable

from nightwatch_ingestion.integrations.schemas import IntegrationAuth

_KEY = re.compile(r"(nwi_[0-9a-f]{12})_[A-Za-z0-9_-]{43}")
_MAX_ENTRIES = 10_000

_LOOKUP = """
    SELECT id, type, name, default_service, default_team, default_severity, auto_resolve,
           severity_mapping::text AS severity_mapping, key_hash
    FROM ingestion.integrations WHERE key_prefix = $1
"""


def new_key() -> tuple[str, str, str]:
    """(key, prefix, hash)."""
    prefix = f"nwi_{secrets.token_hex(6)}"
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, key_hash(key)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyCache:
    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[IntegrationAuth | None, float]] = {}

    def forget_all(self) -> None:
        self._cache.clear()

    async def verify(self, pool: asyncpg.Pool, key: str) -> IntegrationAuth | None:
        """The integration whose key this is, or None (unknown, malformed, rotated, deleted)."""
        match = _KEY.fullmatch(key)
        if match is None:
            return None
        digest = key_hash(key)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            return hit[0]
        try:
            async with pool.acquire() as conn:
                row = await conn.fetchrow(_LOOKUP, match.group(1))
        except (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
            # 503: Alertmanager and PagerDuty senders retry it (a 401 would drop the alerts).
            raise DatabaseUnavailable() from None
        found = None
        if row is not None and hmac.compare_digest(row["key_hash"], digest):
            found = IntegrationAuth(
                id=row["id"],
                type=row["type"],
                name=row["name"],
                default_service=row["default_service"],
                default_team=row["default_team"],
                default_severity=row["default_severity"],
                auto_resolve=row["auto_resolve"],
                severity_mapping=orjson.loads(row["severity_mapping"]),
            )
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        # Misses are cached too (briefly): a sender with a wrong key retrying costs no query.
        self._cache[digest] = (found, now + self._ttl)
        return found
