"""/api/v1/auth (login, me, change-password), /api/v1/accounts and /api/v1/api-keys (admin)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from nightwatch_core.clock import ClockDep
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import ApiError
from nightwatch_core.validation import Limit, Offset, Page

from nightwatch_gateway.audit import service as audit
from nightwatch_gateway.auth import service
from nightwatch_gateway.auth.authentication import signing_key
from nightwatch_gateway.auth.credentials import generate_api_key, issue_token
from nightwatch_gateway.auth.dependencies import (
    PrincipalDep,
    authenticator,
    client_address,
    rate_limiter,
    require,
    require_user,
)
from nightwatch_gateway.auth.policy import Need, Principal
from nightwatch_gateway.auth.schemas import (
    AccountCreate,
    AccountRead,
    AccountSummary,
    AccountUpdate,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ChangePasswordRequest,
    LoginRequest,
    LoginResponse,
    MeResponse,
)
from nightwatch_gateway.settings import GatewaySettings

log = logging.getLogger("nightwatch.gateway.auth")
router = APIRouter(prefix="/api/v1", tags=["auth"])
AdminDep = Annotated[Principal, Depends(require(Need.admin))]
UserDep = Annotated[Principal, Depends(require_user)]


def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def _audit(
    session: SessionDep,
    request: Request,
    principal: Principal,
    action: str,
    target: uuid.UUID,
    details: dict[str, Any] | None,
    now: datetime,
) -> None:
    await audit.record(
        session=session,
        request=request,
        actor=principal.actor,
        action=action,
        target=str(target),
        details=details,
        now=now,
    )


@router.post(
    "/auth/login",
    summary="Log in with username and password for a short-lived bearer token",
    responses={
        401: {"description": "Wrong username or password"},
        429: {"description": "Too many attempts"},
    },
)
async def login(
    body: LoginRequest, request: Request, session: SessionDep, clock: ClockDep
) -> LoginResponse:
    # Per name and address (guessing one account's password), and looser per address (guessing
    # across names) — so a whole team logging in behind one nginx address is not locked out.
    address = client_address(request)
    await rate_limiter(request).check("login", f"ip:{address}:{body.username.lower()}")
    await rate_limiter(request).check("login_address", f"ip:{address}")
    settings = _settings(request)
    now = clock.now()
    account = await service.authenticate_password(
        session=session, username=body.username, password=body.password, now=now
    )
    await audit.record(
        session=session,
        request=request,
        actor=body.username,  # who tried: failures name the account asked for
        action="login.failed" if account is None else "login.succeeded",
        target=None if account is None else str(account.id),
        now=now,
    )
    await session.commit()
    if account is None:
        raise ApiError(401, "Wrong username or password", code="invalid_credentials")
    if account.must_change_password and body.password == settings.bootstrap_admin_password:
        log.warning("account %s still uses the default password: change it", account.username)
    token = issue_token(
        secret=signing_key(request.app.state.jwt_secret),
        account_id=str(account.id),
        username=account.username,
        role=account.role,
        token_version=account.token_version,
        now=now,
        ttl_seconds=settings.jwt_ttl_seconds,
    )
    return LoginResponse(
        access_token=token,
        expires_in=settings.jwt_ttl_seconds,
        user=AccountSummary.model_validate(account, from_attributes=True),
    )


@router.get("/auth/me", summary="Who the credential belongs to")
async def me(principal: PrincipalDep) -> MeResponse:
    return MeResponse(
        kind="user" if principal.kind == "user" else "api_key",
        username=principal.name,
        role=principal.role,
        permissions=sorted(principal.permissions),
        must_change_password=principal.must_change_password,
        actor=principal.actor,
    )


@router.post(
    "/auth/change-password",
    status_code=204,
    summary="Change your own password (older login tokens stop working; log in again)",
)
async def change_password(
    body: ChangePasswordRequest,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    await rate_limiter(request).check("login", f"{principal.rate_limit_identity}")
    account = await service.get_account(session=session, account_id=uuid.UUID(principal.id))
    await service.change_password(
        session=session,
        account=account,
        current_password=body.current_password,
        new_password=body.new_password,
        now=clock.now(),
    )
    await _audit(session, request, principal, "password.changed", account.id, None, clock.now())
    await session.commit()
    authenticator(request).forget_all()
    log.info("password changed", extra={"account": account.username})
    return Response(status_code=204)


@router.get("/accounts", tags=["accounts"], summary="List login accounts (admin)")
async def list_accounts(
    _: AdminDep, session: SessionDep, limit: Limit = 500, offset: Offset = 0
) -> Page[AccountRead]:
    rows, total = await service.list_accounts(session=session, limit=limit, offset=offset)
    return Page(
        items=[AccountRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post(
    "/accounts", tags=["accounts"], status_code=201, summary="Create a login account (admin)"
)
async def create_account(
    body: AccountCreate,
    request: Request,
    principal: AdminDep,
    session: SessionDep,
    clock: ClockDep,
) -> AccountRead:
    account = await service.create_account(
        session=session,
        username=body.username,
        password=body.password,
        role=body.role,
        must_change_password=body.must_change_password,
    )
    details = {"username": account.username, "role": account.role}
    await _audit(session, request, principal, "account.created", account.id, details, clock.now())
    await session.commit()
    log.info("account created", extra={"account": account.username, "actor": principal.actor})
    return AccountRead.model_validate(account)


@router.get("/accounts/{account_id}", tags=["accounts"], summary="One login account (admin)")
async def get_account(account_id: uuid.UUID, _: AdminDep, session: SessionDep) -> AccountRead:
    return AccountRead.model_validate(
        await service.get_account(session=session, account_id=account_id)
    )


@router.patch(
    "/accounts/{account_id}",
    tags=["accounts"],
    summary="Change role, disable, or reset the password of an account (admin)",
)
async def update_account(
    account_id: uuid.UUID,
    body: AccountUpdate,
    request: Request,
    principal: AdminDep,
    session: SessionDep,
    clock: ClockDep,
) -> AccountRead:
    account = await service.get_account(session=session, account_id=account_id)
    await service.update_account(
        session=session,
        account=account,
        now=clock.now(),
        role=body.role,
        disabled=body.disabled,
        password=body.password,
    )
    # What changed, never the password itself.
    details = body.model_dump(mode="json", exclude_none=True, exclude={"password"})
    if body.password is not None:
        details["password_reset"] = True
    await _audit(session, request, principal, "account.updated", account.id, details, clock.now())
    await session.commit()
    authenticator(request).forget_all()
    log.info("account updated", extra={"account": account.username, "actor": principal.actor})
    return AccountRead.model_validate(account)


@router.delete(
    "/accounts/{account_id}",
    tags=["accounts"],
    status_code=204,
    summary="Delete an account (admin)",
)
async def delete_account(
    account_id: uuid.UUID,
    request: Request,
    principal: AdminDep,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    account = await service.get_account(session=session, account_id=account_id)
    await service.delete_account(session=session, account=account)
    details = {"username": account.username}
    await _audit(session, request, principal, "account.deleted", account_id, details, clock.now())
    await session.commit()
    authenticator(request).forget_all()
    log.info("account deleted", extra={"account": account.username, "actor": principal.actor})
    return Response(status_code=204)


@router.get("/api-keys", tags=["api-keys"], summary="List API keys, never their secrets (admin)")
async def list_api_keys(
    _: AdminDep, session: SessionDep, limit: Limit = 500, offset: Offset = 0
) -> Page[ApiKeyRead]:
    rows, total = await service.list_api_keys(session=session, limit=limit, offset=offset)
    return Page(
        items=[ApiKeyRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post(
    "/api-keys",
    tags=["api-keys"],
    status_code=201,
    summary="Create an API key; the secret is in this response only (admin)",
)
async def create_api_key(
    body: ApiKeyCreate, request: Request, principal: AdminDep, session: SessionDep, clock: ClockDep
) -> ApiKeyCreated:
    if body.role is None and not body.permissions:
        raise ApiError(
            422, "An API key needs a role, a permission, or both", code="validation_error"
        )
    if body.expires_at is not None and (
        body.expires_at.tzinfo is None or body.expires_at <= clock.now()
    ):
        raise ApiError(
            422, "expires_at must be a future instant with a time zone", code="validation_error"
        )
    new_key = generate_api_key()
    key = await service.create_api_key(
        session=session,
        name=body.name,
        role=body.role,
        permissions=[p.value for p in body.permissions],
        expires_at=body.expires_at,
        created_by=principal.actor,
        new_key=new_key,
    )
    details = {"name": key.name, "prefix": key.prefix, "role": key.role}
    await _audit(session, request, principal, "api_key.created", key.id, details, clock.now())
    await session.commit()
    log.info("api key created", extra={"prefix": key.prefix, "actor": principal.actor})
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=new_key.secret)


@router.get(
    "/api-keys/{key_id}", tags=["api-keys"], summary="One API key, without its secret (admin)"
)
async def get_api_key(key_id: uuid.UUID, _: AdminDep, session: SessionDep) -> ApiKeyRead:
    return ApiKeyRead.model_validate(await service.get_api_key(session=session, key_id=key_id))


@router.delete(
    "/api-keys/{key_id}",
    tags=["api-keys"],
    summary="Revoke an API key at once (kept, marked revoked, for the audit trail) (admin)",
)
async def revoke_api_key(
    key_id: uuid.UUID, request: Request, principal: AdminDep, session: SessionDep, clock: ClockDep
) -> ApiKeyRead:
    key = await service.get_api_key(session=session, key_id=key_id)
    await service.revoke_api_key(session=session, key=key, now=clock.now())
    details = {"name": key.name, "prefix": key.prefix}
    await _audit(session, request, principal, "api_key.revoked", key.id, details, clock.now())
    await session.commit()
    authenticator(request).forget_all()
    log.info("api key revoked", extra={"prefix": key.prefix, "actor": principal.actor})
    return ApiKeyRead.model_validate(key)
