"""The request id of the work in progress, carried across awaits and inter-service calls."""

from __future__ import annotations

from contextvars import ContextVar

from nightwatch_core.ids import uuid7

REQUEST_ID_HEADER = "X-Request-ID"
_MAX_INCOMING_ID = 128

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def new_request_id() -> str:
    # Time-ordered, and no system call per request (ids.py): ids sort by time in the logs too.
    return uuid7().hex


def accept_request_id(incoming: str | None) -> str:
    """Keep a caller's id when it is sane printable ASCII; otherwise mint one (never trust logs to it)."""
    if (
        incoming
        and len(incoming) <= _MAX_INCOMING_ID
        and incoming.isascii()
        and incoming.isprintable()
    ):
        return incoming
    return new_request_id()
