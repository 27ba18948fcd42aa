"""FastAPI dependencies: the authenticated principal, and `require(need)` for role checks plus the
rate limit of the route class. The proxy uses the same functions with the need of the path."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import ApiError

from nightwatch_gateway import metrics
from nightwatch_gateway.auth.authentication import (
    Authenticator,
    SessionOpener,
    Unauthenticated,
    extract_credential,
)
from nightwatch_gateway.auth.policy import Need, Principal
from nightwatch_gateway.client_address import ClientAddresses
from nightwatch_gateway.ratelimit import RateLimiter


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else "unknown"
    addresses: ClientAddresses = request.app.state.client_addresses
    return addresses.resolve(peer, request.headers.get("x-forwarded-for"))


def rate_limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter  # type: ignore[no-any-return]


def authenticator(request: Request) -> Authenticator:
    return request.app.state.authenticator  # type: ignore[no-any-return]


async def authenticate_request(request: Request, open_session: SessionOpener) -> Principal:
    try:
        credential = extract_credential(
            request.headers.get("authorization"), request.headers.get("x-api-key")
        )
        if credential is None:
            raise Unauthenticated(
                "Authentication required: send a login token or an API key", "missing"
            )
        now = request.app.state.clock.now()
        return await authenticator(request).authenticate(
            credential, open_session=open_session, now=now
        )
    except Unauthenticated:
        # Failed attempts count against the caller's address, so guessing keys is slow.
        await rate_limiter(request).check("unauthenticated", f"ip:{client_address(request)}")
        raise


async def current_principal(request: Request, session: SessionDep) -> Principal:
    return await authenticate_request(request, lambda: contextlib.nullcontext(session))


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def authorize(request: Request, principal: Principal, need: Need) -> None:
    if principal.must_change_password:
        # Until the (default or admin-set) password is changed, the account can only see who it
        # is and change it: `me` and `change-password` do not go through here.
        metrics.AUTH_FAILURES.labels("password_change_required").inc()
        raise ApiError(
            403,
            "Change your password first (POST /api/v1/auth/change-password); until then only "
            "/api/v1/auth/me and change-password answer",
            code="password_change_required",
        )
    if not principal.satisfies(need):
        metrics.AUTH_FAILURES.labels("forbidden").inc()
        what = (
            "an API key with the ingest permission (or admin)"
            if need is Need.ingest
            else (
                "the responder role"
                if need is Need.write
                else "the admin role"
                if need is Need.admin
                else "a role"
            )
        )
        raise ApiError(403, f"{request.method} {request.url.path} needs {what}", code="forbidden")
    await rate_limiter(request).check(need.value, principal.rate_limit_identity)


def require(need: Need) -> Callable[..., Awaitable[Principal]]:
    async def dependency(request: Request, principal: PrincipalDep) -> Principal:
        await authorize(request, principal, need)
        return principal

    return dependency


def require_user(principal: PrincipalDep) -> Principal:
    if principal.kind != "user":
        raise ApiError(403, "Only a logged-in person can do this, not an API key", code="forbidden")
    return principal
