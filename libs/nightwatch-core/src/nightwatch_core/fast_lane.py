"""Fast lanes: one hot route served by a plain ASGI handler, still behind ``CoreMiddleware``.

Profiling alert ingestion showed Starlette/FastAPI's per-request machinery (the middleware stack,
routing, dependency resolution, body parsing) costing more CPU than storing the alert. A service
may therefore hand a route (method + exact path) to a *lane*: an ``async (scope, receive, send,
fallback)`` handler that reads the body and answers itself on its happy path. It still runs
inside ``CoreMiddleware`` (request id, body limit, metrics under the route's template, access
log), and exceptions it raises are answered by the app's exception handlers like any route's.

Anything off the happy path (a content type it does not take, JSON that does not parse, a body
that does not validate) goes to ``fallback``: the regular FastAPI route, with the body replayed.
So error answers stay exactly those of the documented route, which also stays in the OpenAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nightwatch_core.middleware import CORE_APPLIED, CoreMiddleware

# (scope, receive, send, fallback): answer, or await fallback(scope, replay(body), send).
LaneHandler = Callable[[Scope, Receive, Send, ASGIApp], Awaitable[None]]
LaneKey = tuple[str, str]  # (method, path)


async def read_body(receive: Receive) -> bytes:
    """The whole request body; ClientDisconnect if the client went away before sending it all."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect  # never act on half a body
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """A ``receive`` that hands the already-read body to the fallback route."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def json_content_type(scope: Scope) -> bool:
    """True when FastAPI would parse the body as JSON: no content type, or application/json."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return True


class ServiceApp(FastAPI):
    """FastAPI that hands the routes in ``fast_lanes`` to their lane (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lanes: dict[LaneKey, ASGIApp] = {}

    def add_fast_lane(
        self,
        method: str,
        path: str,
        handler: LaneHandler,
        *,
        route_path: str | None = None,
        **core: Any,
    ) -> None:
        """Serve ``method path`` by ``handler`` inside CoreMiddleware configured with ``core``.

        ``route_path``: the template of the regular route that serves ``path`` when it is not
        ``path`` itself (a catch-all such as the gateway's ``/api/v1/{path:path}``)."""
        route = _find_route(self.router.routes, method, route_path or path)
        if route is None:
            raise ValueError(f"a fast lane needs its regular route too: {method} {path}")
        self._lanes[(method, path)] = CoreMiddleware(_Lane(self, route, handler), **core)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._lanes:
            lane = self._lanes.get((scope["method"], scope["path"]))
            if lane is not None:
                scope["app"] = self
                await lane(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


class _Lane:
    def __init__(self, app: ServiceApp, route: Any, handler: LaneHandler) -> None:
        self.app = app
        self.route = route
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.route  # the metrics and access log name the route's template
        started = [False]

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
            await send(message)

        try:
            await self.handler(scope, receive, tracking_send, self._fallback)
        except ClientDisconnect:
            raise  # CoreMiddleware counts it as 499; nobody is left to answer
        except Exception as exc:
            handler = _exception_handler(self.app, exc)
            if handler is None or started[0]:
                raise  # CoreMiddleware answers the 500
            response = await handler(Request(scope), exc)
            await response(scope, receive, send)

    async def _fallback(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[CORE_APPLIED] = True  # CoreMiddleware already runs around this request
        await FastAPI.__call__(self.app, scope, receive, send)


def _find_route(routes: list[Any], method: str, path: str) -> Any:
    for route in routes:
        if getattr(route, "path", None) == path and method in (getattr(route, "methods", ()) or ()):
            return route
        included = getattr(route, "original_router", None)  # FastAPI's include_router wrapper
        found = _find_route(getattr(included, "routes", []), method, path) if included else None
        if found is not None:
            return found
    return None


def _exception_handler(app: FastAPI, exc: Exception) -> Any:
    for cls in type(exc).__mro__:
        handler = app.exception_handlers.get(cls)
        if handler is not None:
            return handler
    return None
