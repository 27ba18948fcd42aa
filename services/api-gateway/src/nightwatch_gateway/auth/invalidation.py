"""Every gateway replica refuses a revoked key or a changed account at once (issue #17).

A trigger (database/migrations/0130) announces each committed credential change on one channel;
each replica holds one LISTEN connection and clears its credential cache when told. While that
connection is down, a replica cannot hear changes made through others: it forgets its cache on
reconnecting, and meanwhile the cache's own lifetime (CREDENTIAL_CACHE_SECONDS) bounds the delay,
as it did before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg
from nightwatch_core.db import connect_database
from nightwatch_core.migrations import libpq_dsn

from nightwatch_gateway import metrics

CHANNEL = "nightwatch_gateway_credentials"
log = logging.getLogger("nightwatch.gateway.auth")


class CredentialChangeListener:
    def __init__(
        self,
        *,
        database_url: str,
        on_change: Callable[[], None],
        connect_timeout: float,
        retry_seconds: float = 1.0,
    ) -> None:
        self._dsn = libpq_dsn(database_url)
        self._on_change = on_change
        self._connect_timeout = connect_timeout
        self._retry_seconds = retry_seconds
        # Set on every announcement heard (tests and the replica e2e wait on it).
        self.heard = asyncio.Event()
        self.listening = asyncio.Event()

    def _announced(self, *_: object) -> None:
        metrics.CREDENTIAL_CHANGES_HEARD.inc()
        self._on_change()
        self.heard.set()

    async def run(self) -> None:
        """Listen until cancelled, reconnecting after a lost connection."""
        while True:
            try:
                await self._listen_once()
                log.warning("credential change listener lost its connection; reconnecting")
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("credential change listener cannot connect: %s", type(exc).__name__)
            await asyncio.sleep(self._retry_seconds)

    async def _listen_once(self) -> None:
        """One connection's life: returns when PostgreSQL or the network closes it."""
        lost = asyncio.Event()
        connection = await connect_database(
            self._dsn,
            timeout=self._connect_timeout,
            server_settings={"application_name": "api-gateway-listener"},
        )
        try:
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(CHANNEL, self._announced)
            # Changes made while this replica was not listening were never heard.
            self._on_change()
            self.listening.set()
            metrics.CREDENTIAL_LISTENER_UP.set(1)
            await lost.wait()
        finally:
            self.listening.clear()
            metrics.CREDENTIAL_LISTENER_UP.set(0)
            if not connection.is_closed():
                connection.terminate()
