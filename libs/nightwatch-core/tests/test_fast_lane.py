"""Fast lanes: a hot route served by a plain ASGI handler, still inside CoreMiddleware."""

from __future__ import annotations

import gc
from typing import Any

import orjson
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Response
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.errors import ApiError
from nightwatch_core.fast_lane import FastLane, json_content_type, read_body, replay
from nightwatch_core.settings import ServiceSettings
from nightwatch_core.testing.plugin import running_app
from prometheus_client import REGISTRY
from pydantic import BaseModel, Field
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class Item(BaseModel):
    name: str = Field(max_length=50)
    count: int = Field(ge=0)


def items_router() -> APIRouter:
    router = APIRouter(strict_content_type=False)

    @router.post("/items", status_code=201)
    async def create_item(item: Item) -> Item:
        return item

    return router


async def items_lane(scope: Scope, receive: Receive, send: Send, fallback: ASGIApp) -> None:
    """Answers {"name": "fast..."} itself; raises on demand; hands anything else back."""
    body = await read_body(receive)
    try:
        data = orjson.loads(body) if json_content_type(scope) else None
    except orjson.JSONDecodeError:
        data = None
    name = data.get("name") if isinstance(data, dict) else None
    if name == "conflict":
        raise ApiError(409, "Item conflict raised in the lane", code="conflict")
    if name == "crash":
        raise RuntimeError("lane bug")
    if not isinstance(name, str) or not name.startswith("fast"):
        await fallback(scope, replay(body), send)
        return
    answer = orjson.dumps({"lane": True, "name": name})
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture
def lane_app(make_settings: Any) -> FastAPI:
    settings = make_settings(ServiceSettings, service_name="lane-sample", max_body_bytes=1024)
    return create_service_app(
        title="lane sample",
        settings=settings,
        routers=[items_router()],
        fast_lanes={("POST", "/items"): FastLane(items_lane, body=Item)},
    )


def _requests(status: str) -> float:
    labels = {"service": "lane-sample", "method": "POST", "route": "/items", "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


async def test_the_lane_answers_its_happy_path_with_request_id_and_metrics(
    lane_app: FastAPI,
) -> None:
    before = _requests("201")
    async with running_app(lane_app) as client:
        response = await client.post("/items", json={"name": "fast-1", "count": 1})
    assert response.status_code == 201
    assert response.json() == {"lane": True, "name": "fast-1"}
    assert len(response.headers.get_list("x-request-id")) == 1
    assert _requests("201") - before == 1  # counted once, under the route's template


async def test_what_the_lane_hands_back_gets_the_regular_route_with_the_body_replayed(
    lane_app: FastAPI,
) -> None:
    before = _requests("201")
    async with running_app(lane_app) as client:
        response = await client.post("/items", json={"name": "slow", "count": 2})
    assert response.status_code == 201
    assert response.json() == {"name": "slow", "count": 2}  # the route's own answer
    assert len(response.headers.get_list("x-request-id")) == 1
    assert _requests("201") - before == 1  # not twice, although CoreMiddleware is on both paths


async def test_invalid_bodies_get_the_regular_routes_error_answers(lane_app: FastAPI) -> None:
    before = _requests("422")
    async with running_app(lane_app) as client:
        invalid = await client.post("/items", json={"name": "x", "count": -1})
        malformed = await client.post(
            "/items", content=b"{nope", headers={"content-type": "application/json"}
        )
        as_text = await client.post(
            "/items", content=b'{"name": "fast"}', headers={"content-type": "text/plain"}
        )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "validation_error"
    assert "body.count" in invalid.json()["error"]["message"]
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "malformed_json"
    assert as_text.status_code == 422  # FastAPI does not read text/plain as JSON; nor does the lane
    assert _requests("422") - before == 2


async def test_exceptions_in_the_lane_get_the_apps_error_answers(lane_app: FastAPI) -> None:
    async with running_app(lane_app) as client:
        conflict = await client.post("/items", json={"name": "conflict"})
        crash = await client.post("/items", json={"name": "crash"})
    assert conflict.status_code == 409
    error = conflict.json()["error"]
    assert error["code"] == "conflict" and error["request_id"] == conflict.headers["x-request-id"]
    assert crash.status_code == 500
    assert crash.json()["error"]["code"] == "internal_error"


async def test_the_body_limit_applies_to_the_lane(lane_app: FastAPI) -> None:
    async with running_app(lane_app) as client:
        response = await client.post("/items", json={"name": "fast" + "x" * 2000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def limit_per_tenant() -> None:
    """Stands for a dependency someone adds to a laned route (auth, a tenant, a limit)."""


def _extended(route: str) -> APIRouter:
    """The items route with one more thing declared that the lane does not do."""
    router = APIRouter(strict_content_type=False)
    if route == "dependency":

        @router.post("/items", status_code=201, dependencies=[Depends(limit_per_tenant)])
        async def with_dependency(item: Item) -> Item:
            return item
    elif route == "query":

        @router.post("/items", status_code=201)
        async def with_query(item: Item, tenant: str = Query()) -> Item:
            return item
    elif route == "header":

        @router.post("/items", status_code=201)
        async def with_header(item: Item, x_tenant: str = Header()) -> Item:
            return item
    elif route == "second body":

        @router.post("/items", status_code=201)
        async def with_second_body(item: Item, other: Item) -> Item:
            return item
    elif route == "other body":

        @router.post("/items", status_code=201)
        async def with_other_body(item: dict[str, int]) -> dict[str, int]:
            return item
    elif route == "strict content type":
        router = APIRouter()  # FastAPI's default: no content type, no JSON

        @router.post("/items", status_code=201)
        async def strict(item: Item) -> Item:
            return item
    elif route == "response":

        @router.post("/items", status_code=201)
        async def with_response(item: Item, response: Response) -> Item:
            response.headers["x-tenant"] = "a"
            return item

    return router


@pytest.mark.parametrize(
    ("route", "named"),
    [
        ("dependency", "limit_per_tenant"),
        ("query", "query:tenant"),
        ("header", "header:x-tenant"),
        ("second body", "body"),
        ("other body", "dict[str, int]"),
        ("response", "response"),
        ("strict content type", "strict content type"),
    ],
)
def test_a_lane_refuses_a_route_that_declares_what_the_lane_would_skip(
    make_settings: Any, route: str, named: str
) -> None:
    settings = make_settings(ServiceSettings, service_name="lane-sample")
    with pytest.raises(ValueError, match="POST /items: its route declares") as refused:
        create_service_app(
            title="x",
            settings=settings,
            routers=[_extended(route)],
            fast_lanes={("POST", "/items"): FastLane(items_lane, body=Item)},
        )
    assert named in str(refused.value)


def test_a_lane_that_runs_the_dependency_itself_may_declare_it(make_settings: Any) -> None:
    settings = make_settings(ServiceSettings, service_name="lane-sample")
    lane = FastLane(items_lane, body=Item, dependencies=(limit_per_tenant,))
    app = create_service_app(
        title="x",
        settings=settings,
        routers=[_extended("dependency")],
        fast_lanes={("POST", "/items"): lane},
    )
    assert app.openapi()["paths"]["/items"]["post"]


def test_a_dependency_added_when_the_router_is_included_counts_too(make_settings: Any) -> None:
    settings = make_settings(ServiceSettings, service_name="lane-sample")
    app = create_service_app(title="x", settings=settings)
    app.include_router(items_router(), dependencies=[Depends(limit_per_tenant)])
    with pytest.raises(ValueError, match="limit_per_tenant"):
        app.add_fast_lane("POST", "/items", FastLane(items_lane, body=Item))  # type: ignore[attr-defined]


async def test_a_middleware_added_after_the_lane_stops_the_app_from_starting(
    make_settings: Any,
) -> None:
    settings = make_settings(ServiceSettings, service_name="lane-sample")
    late_middleware = create_service_app(
        title="x",
        settings=settings,
        routers=[items_router()],
        fast_lanes={("POST", "/items"): FastLane(items_lane, body=Item)},
    )
    late_middleware.add_middleware(GZipMiddleware)
    with pytest.raises(ValueError, match="GZipMiddleware"):
        async with running_app(late_middleware):
            pass


def test_a_lane_needs_its_regular_route(make_settings: Any) -> None:
    settings = make_settings(ServiceSettings, service_name="lane-sample")
    with pytest.raises(ValueError, match="regular route"):
        create_service_app(
            title="x", settings=settings, fast_lanes={("POST", "/nowhere"): FastLane(items_lane)}
        )


async def test_startup_freezes_long_lived_objects_out_of_the_garbage_collector(
    lane_app: FastAPI,
) -> None:
    gc.unfreeze()
    async with running_app(lane_app):
        frozen = gc.get_freeze_count()
    gc.unfreeze()
    assert frozen > 10_000  # modules, routes, schemas: never scanned by a full collection again


async def test_a_client_that_leaves_mid_body_is_never_acted_on(lane_app: FastAPI) -> None:
    messages = iter(
        [
            {"type": "http.request", "body": b'{"name": "fast-half"', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async with running_app(lane_app):  # the lifespan reads the stack's service credential
        token = lane_app.state.service_credential.encoded
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/items",
            "headers": [(b"content-type", b"application/json"), (b"x-service-token", token)],
            "query_string": b"",
        }
        before = _requests("499")
        await lane_app(scope, receive, send)  # type: ignore[arg-type]
    assert sent == []  # no answer to nobody, and the half body was not handed on
    assert _requests("499") - before == 1  # "client closed request", not a server error
