"""Request and response bodies of /api/v1/auth, /api/v1/accounts and /api/v1/api-keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from nightwatch_core.validation import reject_nul
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from nightwatch_gateway.auth.policy import Permission, Role

Username = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$", max_length=100)
]
# Login takes any string (a wrong one is a 401, not a 422 that tells which accounts can exist).
LoginName = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(reject_nul)
]
Password = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(reject_nul)
]
NewPassword = Annotated[
    str, StringConstraints(min_length=8, max_length=1024), AfterValidator(reject_nul)
]
KeyName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(reject_nul),
]


class LoginRequest(BaseModel):
    username: LoginName
    password: Password


class AccountSummary(BaseModel):
    username: str
    role: Role
    must_change_password: bool


class LoginResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int
    user: AccountSummary


class MeResponse(BaseModel):
    kind: Literal["user", "api_key"]
    username: str
    role: Role | None
    permissions: list[Permission]
    must_change_password: bool
    actor: str


class ChangePasswordRequest(BaseModel):
    current_password: Password
    new_password: NewPassword


class AccountCreate(BaseModel):
    username: Username
    password: NewPassword
    role: Role = Role.viewer
    must_change_password: bool = True


class AccountUpdate(BaseModel):
    role: Role | None = None
    disabled: bool | None = None
    password: NewPassword | None = Field(
        default=None, description="Reset; the person must change it at next login"
    )


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    role: Role
    must_change_password: bool
    disabled: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class ApiKeyCreate(BaseModel):
    name: KeyName
    role: Role | None = Field(
        default=None, description="Role of the key; null for a key that only ingests"
    )
    permissions: list[Permission] = Field(default_factory=list, max_length=5)
    expires_at: datetime | None = Field(
        default=None, description="Optional expiry (ISO 8601 with zone)"
    )


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="The visible start of the key, to recognise it")
    role: Role | None
    permissions: list[Permission]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret: shown this once, stored only as a hash")
