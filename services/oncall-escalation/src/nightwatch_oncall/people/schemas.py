"""Request and response bodies of users and teams."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from nightwatch_oncall.validation import (
    Description,
    Name,
    PhoneNumber,
    TeamName,
    TimezoneName,
    is_phone,
)

ContactType = Literal["email", "sms", "phone", "slack", "webhook"]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Email = Annotated[EmailStr, StringConstraints(max_length=320)]
# A console (api-gateway) account's username, the gateway's own pattern.
ConsoleAccount = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$", max_length=100),
    Field(description="The console account (username) this person signs in with"),
]
# A Slack member/channel id (U024BE7LH, C024BE91L), @handle or #channel, or an incoming webhook URL.
_SLACK = re.compile(r"^([UWCGD][A-Z0-9]{2,20}|[@#][\w.-]{1,80}|https://hooks\.slack\.com/\S+)$")


class ContactMethodIn(BaseModel):
    type: ContactType
    address: Address

    @model_validator(mode="after")
    def _address_fits_type(self) -> ContactMethodIn:
        if "\x00" in self.address:
            raise ValueError("address must not contain NUL characters")
        if self.type == "email":
            EmailAddress.model_validate({"email": self.address})
        elif self.type in ("sms", "phone") and not is_phone(self.address):
            raise ValueError(f"{self.type} address must be a phone number")
        elif self.type == "slack" and not _SLACK.match(self.address):
            raise ValueError(
                "slack address must be a member/channel id, @handle, #channel or hook URL"
            )
        elif self.type == "webhook":
            url = AnyHttpUrl(self.address)
            if url.scheme not in ("http", "https"):
                raise ValueError("webhook address must be an http(s) URL")
        return self


class EmailAddress(BaseModel):
    email: Email


class ContactMethodRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    type: ContactType
    address: str


class UserCreate(BaseModel):
    name: Name
    email: Email
    phone: PhoneNumber | None = None
    timezone: TimezoneName = "UTC"
    contact_methods: list[ContactMethodIn] = Field(default_factory=list, max_length=20)
    console_account: ConsoleAccount | None = None


class UserUpdate(BaseModel):
    """Only the fields sent change; ``contact_methods``, when sent, replaces the whole list."""

    name: Name | None = None
    email: Email | None = None
    phone: PhoneNumber | None = None
    timezone: TimezoneName | None = None
    contact_methods: list[ContactMethodIn] | None = Field(default=None, max_length=20)
    console_account: ConsoleAccount | None = Field(default=None, description="null unlinks")


class ContactableUser(BaseModel):
    """A person and how to reach them (what paging needs)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    email: str
    phone: str | None
    timezone: str
    contact_methods: list[ContactMethodRead]


class UserRead(ContactableUser):
    console_account: str | None = Field(
        default=None, description="The console account (username) this person signs in with"
    )
    created_at: datetime
    updated_at: datetime


class TeamMemberIn(BaseModel):
    user_id: uuid.UUID
    role: Literal["member", "manager"] = "member"


class TeamMemberRead(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    role: str


class TeamCreate(BaseModel):
    name: TeamName = Field(description="Unique, slug-like: lowercase letters, digits, - and _")
    description: Description = ""
    members: list[TeamMemberIn] = Field(default_factory=list, max_length=500)


class TeamUpdate(BaseModel):
    name: TeamName | None = None
    description: Description | None = None


class TeamRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    members: list[TeamMemberRead]
    created_at: datetime
    updated_at: datetime
