"""One pure-ASGI middleware for what every request needs: request id, body limit, metrics, access log.

Pure ASGI (not ``BaseHTTPMiddleware``) because it sits on the alert hot path.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nightwatch_core.errors import error_body
from nightwatch_core.metrics import UNMATCHED_ROUTE, observe_request
from nightwatch_core.request_context import REQUEST_ID_HEADER, accept_request_id, request_id_var
from nightwatch_core.service_auth import ACTOR_BYTES, SERVICE_TOKEN_BYTES, ServiceAuth

access_log = logging.getLogger("nightwatch.access")
error_log = logging.getLogger("nightwatch.errors")
_REQUEST_ID_BYTES = REQUEST_ID_HEADER.lower().encode()
_QUIET_PATHS = {"/health", "/health/ready", "/metrics"}
# Set in the scope once CoreMiddleware runs for a request: a fast lane's fallback passes through
# the regular stack (which has CoreMiddleware too) without counting the request twice.
CORE_APPLIED = "nightwatch.core_applied"


# nginx's status for "the client closed the connection before the answer": not a server error.
CLIENT_CLOSED_REQUEST = 499


class BodyTooLarge(Exception):
    pass


class CoreMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        max_body_bytes: int,
        access_log: bool,
        service_auth: ServiceAuth | None = None,
    ) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes
        self.log_access = access_log
        self.service_auth = service_auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(CORE_APPLIED):
            await self.app(scope, receive, send)
            return
        scope[CORE_APPLIED] = True
        started = time.perf_counter()
        headers = scope["headers"]
        incoming_id = None
        content_length = None
        service_token = None
        has_actor = False
        charset = None
        for name, value in headers:
            if name == _REQUEST_ID_BYTES:
                incoming_id = value.decode("latin-1")
            elif name == b"content-length":
                content_length = value
            elif name == SERVICE_TOKEN_BYTES:
                service_token = value
            elif name == ACTOR_BYTES:
                has_actor = True
            elif name == b"content-type" and b"charset" in value.lower():
                charset = _charset(value)
        request_id = accept_request_id(incoming_id)
        token = request_id_var.set(request_id)
        status_holder = [500]
        response_started = [False]
        too_large = [False]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                if too_large[0]:
                    return  # the app's answer to a body we cut off is replaced by our 413
                response_started[0] = True
                status_holder[0] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (_REQUEST_ID_BYTES, request_id.encode("latin-1")),
                ]
            elif too_large[0] and not response_started[0]:
                return
            await send(message)

        try:
            if self.service_auth is not None:
                refusal = self.service_auth.check(scope, service_token, has_actor)
                if refusal is not None:
                    status_holder[0] = refusal.status
                    await self._send_error(
                        send_wrapper, refusal.status, refusal.code, refusal.message
                    )
                    return
            if content_length is not None and _too_long(content_length, self.max_body_bytes):
                status_holder[0] = 413
                await self._reject_too_large(send_wrapper)
                return
            if charset is not None and charset not in _UTF8_NAMES:
                status_holder[0] = 415
                message = (
                    f"Request bodies must be UTF-8 (RFC 8259), not charset={charset[:40]}: "
                    "send Content-Type: application/json; charset=utf-8 (or no charset)"
                )
                await self._send_error(send_wrapper, 415, "unsupported_charset", message)
                return
            received = [0]

            async def limited_receive() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    received[0] += len(message.get("body", b""))
                    if received[0] > self.max_body_bytes:
                        too_large[0] = True
                        raise BodyTooLarge
                return message

            try:
                await self.app(scope, limited_receive, send_wrapper)
            except BodyTooLarge:
                pass
            except ClientDisconnect:
                # The client left before sending its whole request: nobody to answer, nothing to
                # log as an error; counted as 499 (nginx's "client closed request"), not as a 500.
                if not response_started[0]:
                    status_holder[0] = CLIENT_CLOSED_REQUEST
            except Exception:
                # Answered here, inside the request-id context, so even a 500 has the common body.
                error_log.exception("unhandled error", extra={"path": scope["path"]})
                if not response_started[0]:
                    await self._send_error(
                        send_wrapper, 500, "internal_error", "Internal error; see the service log"
                    )
            if too_large[0] and not response_started[0]:
                too_large[0] = False
                status_holder[0] = 413
                await self._reject_too_large(send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            observe_request(self.service, scope["method"], template, status_holder[0], elapsed)
            if self.log_access and scope["path"] not in _QUIET_PATHS:
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": template,
                        "status": status_holder[0],
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)

    async def _reject_too_large(self, send: Send) -> None:
        message = f"Request body exceeds the {self.max_body_bytes} byte limit"
        await self._send_error(send, 413, "payload_too_large", message, close=True)

    @staticmethod
    async def _send_error(
        send: Send, status: int, code: str, message: str, *, close: bool = False
    ) -> None:
        body = orjson.dumps(error_body(status, code, message))
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if close:
            headers.append((b"connection", b"close"))
        if status == 503:
            headers.append((b"retry-after", b"2"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# Every body the services read is JSON, which is UTF-8 (RFC 8259; ASCII is a subset of it).
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def _charset(content_type: bytes) -> str | None:
    for parameter in content_type.decode("latin-1").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _too_long(raw: Any, limit: int) -> bool:
    try:
        return int(raw) > limit
    except ValueError:
        return False
