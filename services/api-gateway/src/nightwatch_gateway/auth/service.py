"""Accounts and API keys in the database: keyword-only functions taking the session; they flush,
the router commits. Secrets arrive already hashed except where a function says otherwise."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from nightwatch_core.db import add_and_load, fetch_page, get_or_404
from nightwatch_core.errors import ApiError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nightwatch_gateway.auth.credentials import (
    NewApiKey,
    burn_password_check,
    hash_password,
    verify_password,
)
from nightwatch_gateway.auth.models import Account, ApiKey
from nightwatch_gateway.auth.policy import Role


async def get_account(*, session: AsyncSession, account_id: uuid.UUID) -> Account:
    return await get_or_404(session, Account, account_id, "Account")


async def find_account_by_username(*, session: AsyncSession, username: str) -> Account | None:
    result = await session.execute(select(Account).where(Account.username == username))
    return result.scalar_one_or_none()


async def list_accounts(
    *, session: AsyncSession, limit: int, offset: int
) -> tuple[list[Account], int]:
    """A page of accounts by username, and how many there are (a handful: counting is cheap)."""
    query = select(Account).order_by(Account.username, Account.id)
    rows, total = await fetch_page(session, query, limit=limit, offset=offset)
    return [row[0] for row in rows], total


async def create_account(
    *,
    session: AsyncSession,
    username: str,
    password: str,
    role: Role,
    must_change_password: bool,
) -> Account:
    if await find_account_by_username(session=session, username=username) is not None:
        raise ApiError(409, f"Account {username!r} already exists", code="conflict")
    account = Account(
        username=username,
        password_hash=await hash_password(password),
        role=role.value,
        must_change_password=must_change_password,
    )
    return await add_and_load(session, account)


async def _enabled_admin_count(session: AsyncSession) -> int:
    result = await session.execute(
        select(func.count()).where(Account.role == Role.admin.value, Account.disabled.is_(False))
    )
    return int(result.scalar_one())


async def _refuse_losing_last_admin(session: AsyncSession, account: Account) -> None:
    # Without an enabled admin nobody could manage accounts or keys again.
    is_enabled_admin = account.role == Role.admin.value and not account.disabled
    if is_enabled_admin and await _enabled_admin_count(session) <= 1:
        raise ApiError(409, "This is the last enabled admin account", code="last_admin")


async def update_account(
    *,
    session: AsyncSession,
    account: Account,
    now: datetime,
    role: Role | None = None,
    disabled: bool | None = None,
    password: str | None = None,
) -> Account:
    losing_admin = (role is not None and role is not Role.admin) or disabled is True
    if losing_admin:
        await _refuse_losing_last_admin(session, account)
    if role is not None:
        account.role = role.value
    if disabled is not None:
        account.disabled = disabled
    if password is not None:
        # An admin's reset: the person must choose their own password at next login.
        account.password_hash = await hash_password(password)
        account.must_change_password = True
    account.token_version += 1
    account.updated_at = now
    await session.flush()
    return account


async def delete_account(*, session: AsyncSession, account: Account) -> None:
    await _refuse_losing_last_admin(session, account)
    await session.delete(account)
    await session.flush()


async def authenticate_password(
    *, session: AsyncSession, username: str, password: str, now: datetime
) -> Account | None:
    account = await find_account_by_username(session=session, username=username)
    if account is None or account.disabled:
        await burn_password_check(password)
        return None
    if not await verify_password(account.password_hash, password):
        return None
    account.last_login_at = now
    await session.flush()
    return account


async def change_password(
    *,
    session: AsyncSession,
    account: Account,
    current_password: str,
    new_password: str,
    now: datetime,
) -> Account:
    if not await verify_password(account.password_hash, current_password):
        raise ApiError(400, "The current password is wrong", code="wrong_password")
    if new_password == current_password:
        raise ApiError(
            422, "The new password must differ from the current one", code="validation_error"
        )
    account.password_hash = await hash_password(new_password)
    account.must_change_password = False
    account.token_version += 1
    account.updated_at = now
    await session.flush()
    return account


async def seed_first_admin(
    *, session: AsyncSession, username: str, password: str, must_change_password: bool
) -> bool:
    """Create the first admin when there is no account at all; True if it was created now."""
    if (await session.execute(select(func.count()).select_from(Account))).scalar_one():
        return False
    session.add(
        Account(
            username=username,
            password_hash=await hash_password(password),
            role=Role.admin.value,
            must_change_password=must_change_password,
        )
    )
    try:
        await session.flush()
    except IntegrityError:  # another replica seeded it at the same moment
        await session.rollback()
        return False
    return True


async def create_api_key(
    *,
    session: AsyncSession,
    name: str,
    role: Role | None,
    permissions: list[str],
    expires_at: datetime | None,
    created_by: str,
    new_key: NewApiKey,
) -> ApiKey:
    key = ApiKey(
        name=name,
        prefix=new_key.prefix,
        key_hash=new_key.key_hash,
        role=role.value if role else None,
        permissions=sorted(set(permissions)),
        expires_at=expires_at,
        created_by=created_by,
    )
    return await add_and_load(session, key)


async def list_api_keys(
    *, session: AsyncSession, limit: int, offset: int
) -> tuple[list[ApiKey], int]:
    """A page of API keys, newest first, and how many there are."""
    query = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)
    rows, total = await fetch_page(session, query, limit=limit, offset=offset)
    return [row[0] for row in rows], total


async def get_api_key(*, session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    return await get_or_404(session, ApiKey, key_id, "API key")


async def find_api_key_by_prefix(*, session: AsyncSession, prefix: str) -> ApiKey | None:
    result = await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))
    return result.scalar_one_or_none()


async def revoke_api_key(*, session: AsyncSession, key: ApiKey, now: datetime) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
    return key


async def record_api_key_use(*, session: AsyncSession, key_id: uuid.UUID, now: datetime) -> None:
    # At most one write a minute per key, so a busy ingest key does not write on every alert.
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where(ApiKey.last_used_at.is_(None) | (ApiKey.last_used_at < now - timedelta(minutes=1)))
        .values(last_used_at=now)
    )
