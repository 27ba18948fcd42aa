"""Turn the credential of a request into a `Principal`, or refuse it with a 401.

Credentials: `Authorization: Bearer <login token or API key>` or `X-API-Key: <API key>`.
A verified credential is cached for `credential_cache_seconds` (keyed by its SHA-256, never by
the secret), so the hot path costs one dictionary lookup; revocation or an account change
through this replica clears the cache at once.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from nightwatch_core.errors import ApiError
from nightwatch_core.secrets import StackSecret
from nightwatch_core.shared_reads import SharedReads
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_gateway import metrics
from nightwatch_gateway.auth import service
from nightwatch_gateway.auth.credentials import (
    MAX_CREDENTIAL_LENGTH,
    InvalidToken,
    api_key_matches,
    api_key_prefix,
    decode_token,
    looks_like_api_key,
)
from nightwatch_gateway.auth.models import Account
from nightwatch_gateway.auth.policy import Permission, Principal, Role

log = logging.getLogger("nightwatch.gateway.auth")
_MAX_CACHE_ENTRIES = 10_000
SessionOpener = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def _cache_key(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


class Unauthenticated(ApiError):
    def __init__(self, message: str, reason: str) -> None:
        metrics.AUTH_FAILURES.labels(reason).inc()
        super().__init__(
            401,
            message,
            code="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="nightwatch"'},
        )


def extract_credential(authorization: str | None, api_key: str | None) -> str | None:
    if api_key:
        credential = api_key.strip()
    elif authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated(
                "Use 'Authorization: Bearer <token or API key>' or 'X-API-Key'", "malformed"
            )
        credential = value.strip()
    else:
        return None
    if (
        len(credential) > MAX_CREDENTIAL_LENGTH
        or not credential.isascii()
        or not credential.isprintable()
    ):
        raise Unauthenticated("Malformed credential", "malformed")
    return credential


def _expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now


def signing_key(secret: StackSecret) -> str:
    if secret.value is None:  # the database was down when the gateway started, and still is
        raise ApiError(
            503,
            "Cannot verify logins now: the gateway's database is unavailable; retry shortly",
            code="auth_unavailable",
            headers={"Retry-After": "2"},
        )
    return secret.value


class Authenticator:
    def __init__(
        self, *, jwt_secret: StackSecret, cache_seconds: float, stale_seconds: float = 0.0
    ) -> None:
        self._jwt_secret = jwt_secret
        self._cache_seconds = cache_seconds
        self._stale_seconds = stale_seconds
        # sha256(credential) -> (principal, fresh until, usable while the database is down until,
        # the credential's own expiry in the app clock's time, checked on every hit)
        self._cache: dict[str, tuple[Principal, float, float, datetime | None]] = {}
        self._verifying = SharedReads()
        self._generation = 0  # bumped by forget_all: a lookup begun before must not be cached

    def forget_all(self) -> None:
        """Called after any change to accounts or keys, so this replica applies it at once."""
        self._cache.clear()
        self._verifying.forget()  # a lookup begun before the change is not shared after it
        self._generation += 1

    async def authenticate(
        self, credential: str, *, open_session: SessionOpener, now: datetime
    ) -> Principal:
        cache_key = _cache_key(credential)
        hit = self._cache.get(cache_key)
        clock = time.monotonic()
        if hit is not None and _expired(hit[3], now):
            # Expiry is honoured at once, not when the cache entry runs out (issue #12).
            self._cache.pop(cache_key, None)
            hit = None
        if hit is not None and hit[1] > clock:
            return hit[0]
        # One verification per credential at a time: when a busy key's entry runs out, the
        # requests in flight share one database lookup instead of each doing their own (50
        # concurrent lookups and new pool connections showed up as a fifth of the gateway's
        # CPU in a profile of the alert path).
        return await self._verifying.read(
            cache_key,
            lambda: self._verify(credential, cache_key, hit, open_session=open_session, now=now),
        )

    async def _verify(
        self,
        credential: str,
        cache_key: str,
        hit: tuple[Principal, float, float, datetime | None] | None,
        *,
        open_session: SessionOpener,
        now: datetime,
    ) -> Principal:
        clock = time.monotonic()
        generation = self._generation
        try:
            async with open_session() as session:
                if looks_like_api_key(credential):
                    principal, expires_at = await self._api_key_principal(
                        credential, session=session, now=now
                    )
                else:
                    principal, token_expiry = await self._token_principal(
                        credential, session=session
                    )
                    expires_at = token_expiry
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            # The gateway's database is down: a credential verified a moment ago stays good for
            # a short grace, so alerts and acknowledgements keep flowing to healthy services.
            if hit is not None and hit[2] > clock:
                metrics.STALE_CREDENTIALS.inc()
                log.warning("database unavailable; using a recently verified credential")
                return hit[0]
            raise ApiError(
                503,
                "Cannot verify the credential now: the gateway's database is unavailable; retry shortly",
                code="auth_unavailable",
                headers={"Retry-After": "2"},
            ) from exc
        if generation != self._generation:
            return principal  # accounts or keys changed meanwhile: answer, but do not cache
        if len(self._cache) >= _MAX_CACHE_ENTRIES:
            self._cache.clear()
        clock = time.monotonic()
        fresh_until = clock + self._cache_seconds
        usable_until = clock + self._cache_seconds + self._stale_seconds
        self._cache[cache_key] = (principal, fresh_until, usable_until, expires_at)
        return principal

    async def _api_key_principal(
        self, secret: str, *, session: AsyncSession, now: datetime
    ) -> tuple[Principal, datetime | None]:
        prefix = api_key_prefix(secret)
        key = (
            await service.find_api_key_by_prefix(session=session, prefix=prefix) if prefix else None
        )
        if key is None or not api_key_matches(secret, key.key_hash):
            raise Unauthenticated("Unknown API key", "bad_api_key")
        if key.revoked_at is not None:
            raise Unauthenticated("This API key was revoked", "revoked_api_key")
        if key.expires_at is not None and key.expires_at <= now:
            raise Unauthenticated("This API key has expired", "expired_api_key")
        await service.record_api_key_use(session=session, key_id=key.id, now=now)
        await session.commit()
        principal = Principal(
            kind="api_key",
            id=str(key.id),
            name=key.name,
            role=Role(key.role) if key.role else None,
            permissions=frozenset(Permission(p) for p in key.permissions),
        )
        return principal, key.expires_at

    async def _token_principal(
        self, token: str, *, session: AsyncSession
    ) -> tuple[Principal, datetime]:
        try:
            claims = decode_token(token, secret=signing_key(self._jwt_secret))
            account_id = uuid.UUID(claims.account_id)
        except InvalidToken as exc:
            reason = "expired_token" if "expired" in str(exc) else "bad_token"
            raise Unauthenticated(f"Login token rejected: {exc}", reason) from exc
        except ValueError as exc:
            raise Unauthenticated("Login token rejected: token invalid", "bad_token") from exc
        account = await session.get(Account, account_id)
        if account is None or account.disabled or account.token_version != claims.token_version:
            # Password changed, role changed, account disabled or deleted since the token was issued.
            raise Unauthenticated("Login token no longer valid; log in again", "revoked_token")
        principal = Principal(
            kind="user",
            id=str(account.id),
            name=account.username,
            role=Role(account.role),
            must_change_password=account.must_change_password,
        )
        return principal, claims.expires_at
