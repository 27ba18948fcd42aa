"""Secrets shared by the stack, generated on first start and kept with its data (``platform.secrets``).

A secret that is not configured (``SERVICE_TOKEN``, ``JWT_SECRET``) is read from the database,
and the first service that finds none writes a random one (``INSERT … ON CONFLICT DO NOTHING``,
so every service that starts at the same moment ends up with the same value). No installation
therefore runs on a value printed in the docs, and a restart or a new replica reuses the secret.

    python -m nightwatch_core.secrets show service_token     # call a service directly
    python -m nightwatch_core.secrets rotate jwt_secret      # then restart the services

Rotation replaces the stored value; processes read it once at start, so restart all of them
(a rotated ``jwt_secret`` logs everyone out; a rotated ``service_token`` must reach every service).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys

import asyncpg

from nightwatch_core.migrations import libpq_dsn
from nightwatch_core.settings import ServiceSettings

log = logging.getLogger("nightwatch.secrets")

SERVICE_TOKEN = "service_token"  # noqa: S105 - the name of the secret, not a secret
JWT_SECRET = "jwt_secret"  # noqa: S105
_READ_OR_CREATE = """
WITH created AS (
    INSERT INTO platform.secrets (name, value) VALUES ($1, $2)
    ON CONFLICT (name) DO NOTHING
    RETURNING value
)
SELECT value FROM created
UNION ALL
SELECT value FROM platform.secrets WHERE name = $1
LIMIT 1
"""


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits


async def read_or_create(connection: asyncpg.Connection, name: str) -> str:
    value = await connection.fetchval(_READ_OR_CREATE, name, new_secret())
    if value is None:
        # Two first starts at once (replicas, or five services): our INSERT waited for the
        # other's and did nothing, but this statement's snapshot predates that commit, so its
        # SELECT saw no row. A new statement sees the winner's value.
        value = await connection.fetchval(
            "SELECT value FROM platform.secrets WHERE name = $1", name
        )
    if value is None:
        raise RuntimeError(f"platform.secrets has no {name} after creating it")
    return str(value)


async def shared_secret(database_url: str, name: str, *, connect_timeout: float = 3.0) -> str:
    """The stack's secret ``name``, created if missing (one attempt: raises if the database is down)."""
    connection = await asyncpg.connect(libpq_dsn(database_url), timeout=connect_timeout)
    try:
        return await read_or_create(connection, name)
    finally:
        await connection.close()


class StackSecret:
    """One secret of the stack: configured, or read from the database once it answers.

    A service must start (and answer 503) while its database is down, so a secret that cannot
    be read at start is fetched in the background; until then ``value`` is None and whatever
    needs it refuses with a 503 instead of guessing.
    """

    def __init__(self, name: str, configured: str | None = None) -> None:
        self.name = name
        self.value: str | None = None
        self.encoded: bytes | None = None
        if configured:
            self._set(configured)

    def _set(self, value: str) -> None:
        self.value, self.encoded = value, value.encode()

    async def load(self, database_url: str, *, connect_timeout: float) -> bool:
        """One attempt; True when the secret is known."""
        if self.value is None:
            try:
                self._set(
                    await shared_secret(database_url, self.name, connect_timeout=connect_timeout)
                )
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("cannot read the %s yet (%s)", self.name, type(exc).__name__)
                return False
        return True

    async def keep_loading(self, database_url: str, *, connect_timeout: float) -> None:
        while True:
            if await self.load(database_url, connect_timeout=connect_timeout):
                return
            await asyncio.sleep(1.0)  # polling the database, not waiting for an event


async def rotate(database_url: str, name: str) -> None:
    connection = await asyncpg.connect(libpq_dsn(database_url))
    try:
        await connection.execute(
            "INSERT INTO platform.secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) "
            "DO UPDATE SET value = excluded.value, rotated_at = now()",
            name,
            new_secret(),
        )
    finally:
        await connection.close()


async def _show(database_url: str, name: str) -> str:
    connection = await asyncpg.connect(libpq_dsn(database_url))
    try:
        return await read_or_create(connection, name)
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nightwatch_core.secrets")
    parser.add_argument("command", choices=["show", "rotate"])
    parser.add_argument("name", choices=[SERVICE_TOKEN, JWT_SECRET])
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL")
    args = parser.parse_args(argv)
    url = args.database_url or ServiceSettings().database_url
    if args.command == "show":
        print(asyncio.run(_show(url, args.name)))
    else:
        asyncio.run(rotate(url, args.name))
        print(f"rotated {args.name}: restart every service to use it", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
