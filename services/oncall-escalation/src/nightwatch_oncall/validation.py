"""Field types shared by the service's request schemas: bounded, NUL-free (the core's
``reject_nul``), checked early (4xx)."""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Annotated

from nightwatch_core.validation import reject_nul
from pydantic import AfterValidator, StringConstraints

_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{2,30}$")


@functools.cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    if value not in known_timezones():
        raise ValueError(f"unknown time zone {value[:64]!r}; use an IANA name like Europe/Berlin")
    return value


def is_phone(value: str) -> bool:
    return _PHONE.match(value) is not None


def _phone(value: str) -> str:
    if not is_phone(value):
        raise ValueError("not a phone number (digits, optional leading +, spaces, ()-.)")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(reject_nul),
]
Description = Annotated[str, StringConstraints(max_length=2000), AfterValidator(reject_nul)]
TimezoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]
PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone)
]
TeamName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$"),
]
# A team in a path or query: its id or its name.
TeamRef = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(reject_nul)
]
