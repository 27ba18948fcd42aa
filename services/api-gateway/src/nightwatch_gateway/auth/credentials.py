"""The secrets themselves: password hashes (argon2id), API keys (random, SHA-256 at rest), login
tokens (JWT, HS256 pinned, expiry enforced). Nothing here touches the database or logs a secret."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

JWT_ALGORITHM = "HS256"
JWT_ISSUER = "nightwatch-gateway"
API_KEY_PREFIX = "nwk_"
_API_KEY_ID_HEX = 12  # visible part after "nwk_": 48 random bits, unique index in the database
MAX_CREDENTIAL_LENGTH = 4096

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~20 ms a login here.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow (tens of ms): keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


@functools.cache
def _unused_account_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


async def burn_password_check(password: str) -> None:
    """Spend the same time as a real check, so a login for an unknown name is not told apart."""
    await verify_password(_unused_account_hash(), password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


@dataclass(frozen=True)
class NewApiKey:
    secret: str  # shown to the creator once, never stored
    prefix: str
    key_hash: str


def generate_api_key() -> NewApiKey:
    prefix = API_KEY_PREFIX + secrets.token_hex(_API_KEY_ID_HEX // 2)
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(secret=secret, prefix=prefix, key_hash=hash_api_key(secret))


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_prefix(secret: str) -> str | None:
    """The lookup prefix of a presented key, or None when it cannot be one of ours."""
    # The random part may itself contain "_": the prefix is the fixed-length head.
    length = len(API_KEY_PREFIX) + _API_KEY_ID_HEX
    if not secret.startswith(API_KEY_PREFIX) or secret[length : length + 1] != "_":
        return None
    return secret[:length]


def api_key_matches(secret: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(secret), key_hash)


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_PREFIX)


@dataclass(frozen=True)
class TokenClaims:
    account_id: str
    username: str
    role: str
    token_version: int
    expires_at: datetime


def issue_token(
    *,
    secret: str,
    account_id: str,
    username: str,
    role: str,
    token_version: int,
    now: datetime,
    ttl_seconds: int,
) -> str:
    payload = {
        "iss": JWT_ISSUER,
        "sub": account_id,
        "name": username,
        "role": role,
        "ver": token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM)


class InvalidToken(Exception):
    """The token is malformed, forged, of another algorithm, or expired (the message says which)."""


def decode_token(token: str, *, secret: str) -> TokenClaims:
    try:
        # The algorithm list is pinned: "none" and RS/HS confusion are refused by PyJWT itself.
        payload = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            issuer=JWT_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("token invalid") from exc
    try:
        return TokenClaims(
            account_id=str(payload["sub"]),
            username=str(payload["name"]),
            role=str(payload["role"]),
            token_version=int(payload["ver"]),
            expires_at=datetime.fromtimestamp(int(payload["exp"])).astimezone(),
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise InvalidToken("token invalid") from exc
