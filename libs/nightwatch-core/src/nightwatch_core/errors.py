"""One JSON error body for every 4xx/5xx:

    {"error": {"code": "not_found", "message": "Incident 1f0c… not found", "details": …,
               "request_id": "…"}}

``code`` is stable and machine-readable; ``message`` is written for the person reading it.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from nightwatch_core.request_context import current_request_id

log = logging.getLogger("nightwatch.errors")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class ApiError(Exception):
    """Raise from anywhere in a request to answer with the common error body."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.code = code or _STATUS_CODES.get(status_code, "error")
        self.details = details
        self.headers = headers


class NotFound(ApiError):
    def __init__(self, what: str, identifier: object) -> None:
        super().__init__(404, f"{what} {identifier} not found", code="not_found")


class DatabaseUnavailable(ApiError):
    """503 with Retry-After: the database cannot serve the request right now (never a 500)."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "Database unavailable; retry shortly",
            code="database_unavailable",
            headers={"Retry-After": "2"},
        )


def error_body(status_code: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    request_id = current_request_id()
    if request_id:
        error["request_id"] = request_id
    return {"error": error}


def error_response(
    status_code: int,
    message: str,
    *,
    code: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    code = code or _STATUS_CODES.get(status_code, "error")
    return JSONResponse(
        error_body(status_code, code, message, details), status_code=status_code, headers=headers
    )


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Never echo the rejected input back: it may be huge, binary or a secret.
    return [
        {
            "loc": _location(err.get("loc", ())),
            "msg": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()[:50]
    ]


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status_code, exc.message, code=exc.code, details=exc.details, headers=exc.headers
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else _STATUS_CODES.get(status, "error")
    if status == 404 and detail == "Not Found":
        detail = "No such route; see /docs for the API"
    elif status == 405:
        detail = "Method not allowed on this route; see /docs for the API"
    elif status == 400 and detail == "There was an error parsing the body":
        # FastAPI's words for a body that is not text in any encoding it can detect.
        detail = "Request body could not be decoded: JSON must be UTF-8 (RFC 8259)"
    return error_response(status, detail, headers=getattr(exc, "headers", None))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    if any(d["type"] == "json_invalid" for d in details):
        return error_response(
            400, "Request body is not valid JSON", code="malformed_json", details=details
        )
    summary = "; ".join(f"{d['loc']}: {d['msg']}" for d in details[:3])
    return error_response(422, f"Invalid request: {summary}", details=details)


# SQLSTATE classes that mean "the database cannot serve you right now", not "your request is wrong":
# 08 connection exception, 53 insufficient resources (53300 too many clients), 57 operator
# intervention (57014 statement timeout, 57P01 admin shutdown, 57P03 cannot connect now).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """Errors through SQLAlchemy, and raw asyncpg ones (hot paths on a raw pool) alike."""
    assert isinstance(exc, DBAPIError | PoolTimeoutError | asyncpg.PostgresError)
    raw = exc if isinstance(exc, asyncpg.PostgresError) else getattr(exc, "orig", None)
    sqlstate = getattr(raw, "sqlstate", None) or ""
    if (
        isinstance(exc, OperationalError | PoolTimeoutError)
        or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
        or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
    ):
        log.warning("database unavailable: %s %s", type(exc).__name__, sqlstate)
        return await _api_error(request, DatabaseUnavailable())
    # Safety net: validation should catch bad values first, but a value PostgreSQL refuses is still
    # the caller's mistake (22xxx data exception, 23xxx constraint), never a 500.
    if sqlstate.startswith("22"):
        return error_response(422, "A value was rejected by the database", code="invalid_value")
    if sqlstate.startswith("23"):
        return error_response(409, "The change conflicts with existing data", code="conflict")
    log.exception("database error")
    return error_response(500, "Internal error", code="internal_error")


async def _connection_error(request: Request, exc: Exception) -> JSONResponse:
    # Opening a new connection to a database that is down fails before SQLAlchemy wraps the error
    # (ConnectionRefusedError, asyncpg's connection errors): still a 503, never a 500.
    log.warning("database unreachable: %s", type(exc).__name__)
    return await _api_error(request, DatabaseUnavailable())


def configure_errors(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _database_error)
    app.add_exception_handler(ConnectionError, _connection_error)
    app.add_exception_handler(asyncpg.PostgresError, _database_error)
    app.add_exception_handler(asyncpg.PostgresConnectionError, _connection_error)
    app.add_exception_handler(asyncpg.InterfaceError, _connection_error)
    # Unhandled exceptions are answered by CoreMiddleware, inside the request-id context.
