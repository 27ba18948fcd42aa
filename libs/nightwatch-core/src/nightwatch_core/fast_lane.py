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

What the lane does in FastAPI's place is declared in its ``FastLane`` (the body it validates, the
parameters it reads, the dependencies it runs) and compared with what the route declares when the
lane is added and again when the app starts (``check_lanes``): a dependency, parameter or middleware added to the
route or the app that the lane would skip stops the app from starting, naming the difference.

The lane leans on framework internals (FastAPI's route contexts and ``Dependant``, Starlette's
ASGI app, uvicorn's protocol in http_protocol.py): ``VERIFIED_WITH`` names the releases it was
checked against; the pyproject bounds and libs/nightwatch-core/tests/test_framework_versions.py
hold the installed ones there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import iter_route_contexts
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nightwatch_core.middleware import CORE_APPLIED, CoreMiddleware

# (scope, receive, send, fallback): answer, or await fallback(scope, replay(body), send).
LaneHandler = Callable[[Scope, Receive, Send, ASGIApp], Awaitable[None]]
LaneKey = tuple[str, str]  # (method, path)

# The releases the lanes (and http_protocol.py) were verified against, and what to re-check
# before moving past one; test_framework_versions.py fails while the installed ones differ.
VERIFIED_WITH: dict[str, tuple[str, str]] = {
    "fastapi": (
        "0.165.0",
        "fastapi.routing.iter_route_contexts and RouteContext.dependant (the route check below); "
        "FastAPI.__call__ serving a replayed body to the fallback; app.exception_handlers",
    ),
    "starlette": (
        "1.10.0",
        "Request(scope, receive), ClientDisconnect, app.user_middleware (the middleware check "
        "below), FastAPI.__call__ bypassed by ServiceApp.__call__",
    ),
    "uvicorn": (
        "0.54.0",
        "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol: connection_made(transport), "
        "self.loop, and that it writes only through transport.write/writelines/close/write_eof "
        "(http_protocol.py); tests/test_raw_http_load.py",
    ),
}


@dataclass(frozen=True)
class FastLane:
    """A lane and what it does in FastAPI's place for its route.

    ``body``: the annotation of the route's body parameter, which the lane parses and validates
    (None: the route takes no body parameter). ``parameters``: the ones the lane reads itself, as
    ``"query:name"``, ``"header:name"``, ``"path:name"`` or ``"cookie:name"``. ``dependencies``:
    the callables of the route's dependencies that the lane runs itself. ``route_path``: the
    template of the regular route when it is not the lane's path (a catch-all)."""

    handler: LaneHandler
    body: Any = None
    parameters: tuple[str, ...] = ()
    dependencies: tuple[Callable[..., Any], ...] = ()
    route_path: str | None = None

    def shape(self) -> dict[str, Any]:
        return {
            "body": [] if self.body is None else [(self.body, False)],
            "parameters": sorted(self.parameters),
            "dependencies": list(self.dependencies),
            "special parameters": [],
            # json_content_type(): a body without a content type is JSON to the lane
            "strict content type": None if self.body is None else False,
        }


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
    """True for no content type or application/json (a laned route must then be declared with
    ``strict_content_type=False``, so FastAPI reads a body without a content type as JSON too)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return True


class ServiceApp(FastAPI):
    """FastAPI that hands the routes in ``fast_lanes`` to their lane (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lanes: dict[LaneKey, ASGIApp] = {}
        self._lane_declarations: dict[LaneKey, FastLane] = {}

    def add_fast_lane(self, method: str, path: str, lane: FastLane, **core: Any) -> None:
        """Serve ``method path`` by ``lane`` inside CoreMiddleware configured with ``core``."""
        route = _check_lane(self, method, path, lane)
        self._lanes[(method, path)] = CoreMiddleware(_Lane(self, route, lane.handler), **core)
        self._lane_declarations[(method, path)] = lane

    def check_lanes(self) -> None:
        """Check every lane again (the lifespan's start): what was added to the app after
        add_fast_lane (a middleware, a router's dependency) counts too."""
        for (method, path), lane in self._lane_declarations.items():
            _check_lane(self, method, path, lane)

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


def _check_lane(app: FastAPI, method: str, path: str, lane: FastLane) -> Any:
    """The lane's regular route; ValueError when the lane would skip what the route or the app
    declares (a dependency, a parameter, another body, a middleware)."""
    name = f"{method} {path}"
    contexts = [
        c
        for c in iter_route_contexts(app.routes)
        if c.path == (lane.route_path or path) and method in (c.methods or ())
    ]
    if not contexts:
        raise ValueError(f"a fast lane needs its regular route too: {name}")
    context = contexts[0]
    declared = _route_shape(context.dependant, context.strict_content_type)
    implemented = lane.shape()
    for part, value in declared.items():
        if value != implemented[part]:
            raise ValueError(
                f"{name}: its route declares {part} {value!r} but its fast lane "
                f"({_qualname(lane.handler)}) implements {implemented[part]!r}. The lane would "
                "skip them for every request it answers: implement them in the lane and list "
                "them in its FastLane, or remove the lane (nightwatch_core/fast_lane.py)"
            )
    extra = [m for m in app.user_middleware if m.cls is not CoreMiddleware]
    if extra:
        raise ValueError(
            f"{name}: middleware {[_qualname(m.cls) for m in extra]} would not run for the "
            "requests its fast lane answers (only CoreMiddleware does)"
        )
    return context.original_route


def _route_shape(dependant: Any, strict_content_type: Any) -> dict[str, Any]:
    """What FastAPI does for a route besides calling it: the parts a lane must do itself."""
    sources = ("path", "query", "header", "cookie")
    special = ("response", "background_tasks", "security_scopes", "websocket")
    return {
        "body": [
            (f.field_info.annotation, bool(getattr(f.field_info, "embed", False)))
            for f in dependant.body_params
        ],
        "parameters": sorted(
            f"{source}:{f.alias}"
            for source in sources
            for f in getattr(dependant, f"{source}_params")
        ),
        "dependencies": [d.call for d in dependant.dependencies],
        "special parameters": [s for s in special if getattr(dependant, f"{s}_param_name")],
        "strict content type": _resolved(strict_content_type) if dependant.body_params else None,
    }


def _resolved(value: Any) -> Any:
    return value.value if isinstance(value, DefaultPlaceholder) else value


def _qualname(thing: Any) -> str:
    return f"{thing.__module__}.{getattr(thing, '__qualname__', repr(thing))}"


def _exception_handler(app: FastAPI, exc: Exception) -> Any:
    for cls in type(exc).__mro__:
        handler = app.exception_handlers.get(cls)
        if handler is not None:
            return handler
    return None
