"""Field checks every service's request bodies share: text PostgreSQL can store, instants in UTC,
and the one list envelope (docs/architecture.md, "Lists").

A check raises ``ValueError`` with a message for a person; inside a pydantic model that becomes the
common 422 body, and ``checked_query`` does the same for a query or header value read by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Generic, Self, TypeVar

from pydantic import AfterValidator, BaseModel, Field

from nightwatch_core.errors import ApiError

NUL_MESSAGE = "must not contain NUL (\\u0000) characters"


def reject_nul(value: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL: refuse it with a 422 rather than fail at insert.
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


def storable(value: str) -> str:
    """No NUL and no unpaired surrogate (JSON can carry one, UTF-8 and PostgreSQL cannot)."""
    reject_nul(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None
    return value


def stripped(value: str) -> str:
    """Storable, without surrounding blanks, and not blank."""
    value = storable(value).strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def as_utc(value: datetime) -> datetime:
    """A timestamp without a zone is taken as UTC; every timestamp is stored and returned in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


NulFree = Annotated[str, AfterValidator(reject_nul)]
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]

CheckedT = TypeVar("CheckedT")


def checked_query(
    name: str, check: Callable[[CheckedT], CheckedT], value: CheckedT | None
) -> CheckedT | None:
    """``check`` on a query (or header) value read outside a model: its ValueError is the same 422
    a model's field would give, e.g. ``Invalid request: query.q: must not contain NUL …``."""
    if value is None:
        return None
    try:
        return check(value)
    except ValueError as exc:
        raise ApiError(422, f"Invalid request: {name}: {exc}") from None


ItemT = TypeVar("ItemT")
# The paging parameters of an offset-paged list (a service may bound a list tighter).
Limit = Annotated[int, Field(ge=1, le=500)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]


class Page(BaseModel, Generic[ItemT]):
    """A list paged by offset, where counting the whole list is cheap."""

    items: list[ItemT]
    total: int = Field(description="how many items the whole list has")
    limit: int
    offset: int

    @classmethod
    def of(cls, everything: Sequence[ItemT], *, limit: int, offset: int) -> Self:
        """The page of a list computed whole (a team's members, a range's shifts)."""
        items = list(everything[offset : offset + limit])
        return cls(items=items, total=len(everything), limit=limit, offset=offset)


class CursorPage(BaseModel, Generic[ItemT]):
    """A list paged by cursor (long or fast-growing lists, where a count is not cheap)."""

    items: list[ItemT]
    limit: int
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")
