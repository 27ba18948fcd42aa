"""The shared field checks: what each one refuses, with the message a person reads in the 422."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from nightwatch_core.errors import ApiError
from nightwatch_core.validation import (
    CursorPage,
    NulFree,
    Page,
    UtcDatetime,
    as_utc,
    checked_query,
    reject_nul,
    storable,
    stripped,
)
from pydantic import BaseModel, ValidationError


class _Body(BaseModel):
    text: NulFree
    at: UtcDatetime


def test_nul_is_refused_with_a_message_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        _Body(text="a\x00b", at=datetime(2026, 1, 1, tzinfo=UTC))
    assert "must not contain NUL (\\u0000) characters" in str(caught.value)
    assert reject_nul("plain") == "plain"


def test_unpaired_surrogate_and_blank_are_refused() -> None:
    with pytest.raises(ValueError, match="unpaired surrogates"):
        storable("bad \ud800")
    with pytest.raises(ValueError, match="blank"):
        stripped("   ")
    assert stripped("  svc ") == "svc"


def test_instants_come_back_in_utc() -> None:
    naive = datetime(2026, 1, 1, 12, 0)
    assert as_utc(naive) == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    plus_two = datetime(2026, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    body = _Body(text="x", at=plus_two)
    assert body.at.tzinfo is UTC and body.at.hour == 12


def test_an_instant_past_the_calendar_once_in_utc_is_a_value_error() -> None:
    edge = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
    with pytest.raises(ValueError, match="out of range once converted to UTC"):
        as_utc(edge)


def test_checked_query_turns_the_check_into_a_422_naming_the_parameter() -> None:
    assert checked_query("query.q", reject_nul, None) is None
    assert checked_query("query.q", reject_nul, "ok") == "ok"
    with pytest.raises(ApiError) as caught:
        checked_query("query.q", reject_nul, "a\x00")
    assert caught.value.status_code == 422
    assert (
        caught.value.message
        == "Invalid request: query.q: must not contain NUL (\\u0000) characters"
    )


def test_the_two_page_shapes() -> None:
    assert Page[int](items=[1], total=3, limit=1, offset=0).model_dump() == {
        "items": [1],
        "total": 3,
        "limit": 1,
        "offset": 0,
    }
    assert CursorPage[int](items=[], limit=5, next_cursor=None).model_dump() == {
        "items": [],
        "limit": 5,
        "next_cursor": None,
    }
