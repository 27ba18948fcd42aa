"""Every 4xx/5xx has the same JSON body; bad input is never a 5xx."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from nightwatch_core.db import SessionDep


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    return error


async def test_unknown_route_is_404_in_the_common_body(
    sample_app: FastAPI, app_client: Any
) -> None:
    async with app_client(sample_app) as client:
        assert_error(await client.get("/nope"), 404, "not_found")


async def test_wrong_method_is_405(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        assert_error(await client.delete("/items"), 405, "method_not_allowed")


async def test_api_error_keeps_its_code(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        error = assert_error(await client.get("/items/0"), 404, "not_found")
        assert error["message"] == "Item 0 not found"


async def test_validation_error_names_the_field(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        response = await client.post("/items", json={"name": "x", "count": -1})
        error = assert_error(response, 422, "validation_error")
        assert "body.count" in error["message"]
        assert error["details"][0]["loc"] == "body.count"
        assert "input" not in error["details"][0]  # rejected values are never echoed


async def test_path_parameter_of_wrong_type_is_422(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        assert_error(await client.get("/items/abc"), 422, "validation_error")


async def test_malformed_json_is_400(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        response = await client.post(
            "/items", content=b'{"name": "x",', headers={"content-type": "application/json"}
        )
        assert_error(response, 400, "malformed_json")


async def test_body_over_one_mib_is_413_before_parsing(
    sample_app: FastAPI, app_client: Any
) -> None:
    async with app_client(sample_app) as client:
        big = b'{"name": "' + b"a" * (1024 * 1024) + b'", "count": 1}'
        response = await client.post(
            "/items", content=big, headers={"content-type": "application/json"}
        )
        assert_error(response, 413, "payload_too_large")


async def test_streamed_body_over_limit_is_413(sample_app: FastAPI, app_client: Any) -> None:
    async def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(20):
            yield b"x" * 65536

    async with app_client(sample_app) as client:
        response = await client.post(
            "/items", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_error(response, 413, "payload_too_large")


async def test_body_just_under_limit_is_accepted(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        padding = " " * (1024 * 1024 - 100)
        body = ('{"name": "ok", "count": 1}' + padding).encode()
        response = await client.post(
            "/items", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 201


async def test_nul_byte_reaching_postgres_is_a_4xx(sample_app: FastAPI, app_client: Any) -> None:
    async with app_client(sample_app) as client:
        response = await client.post("/echo-text", json={"v": "a\u0000b"})
        assert_error(response, 422, "invalid_value")


async def test_unhandled_exception_is_500_in_the_common_body(
    sample_app: FastAPI, app_client: Any
) -> None:
    async with app_client(sample_app) as client:
        error = assert_error(await client.get("/boom"), 500, "internal_error")
        assert "kaboom" not in error["message"]  # internals stay in the log


async def test_database_refusing_new_connections_is_503_not_500(app_client: Any) -> None:
    import socket

    from fastapi import APIRouter
    from nightwatch_core.app_factory import create_service_app
    from nightwatch_core.settings import ServiceSettings
    from sqlalchemy import text

    router = APIRouter()

    @router.get("/query")
    async def query(session: SessionDep) -> int:
        return int((await session.execute(text("SELECT 1"))).scalar_one())

    with socket.socket() as sock:  # a port nothing listens on: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ServiceSettings(
        service_name="sample", database_url=f"postgresql://postgres@127.0.0.1:{port}/x"
    )
    app = create_service_app(title="sample", settings=settings, routers=[router])
    async with app_client(app) as client:
        response = await client.get("/query")
        assert_error(response, 503, "database_unavailable")
        assert response.headers["retry-after"] == "2"


async def test_database_that_cannot_serve_now_is_503_not_500(
    make_settings: Any, app_client: Any
) -> None:
    # A statement timeout (SQLSTATE 57014) stands for the whole "try again shortly" family
    # (53300 too many clients, 57P01 shutting down): 503 with Retry-After, never a 500.
    from fastapi import APIRouter
    from nightwatch_core.app_factory import create_service_app
    from nightwatch_core.settings import ServiceSettings
    from sqlalchemy import text

    router = APIRouter()

    @router.get("/slow")
    async def slow(session: SessionDep) -> dict[str, str]:
        await session.execute(text("SET LOCAL statement_timeout = 10"))
        await session.execute(text("SELECT pg_sleep(1)"))
        return {"done": "never"}

    app = create_service_app(
        title="busy", settings=make_settings(ServiceSettings, service_name="busy"), routers=[router]
    )
    async with app_client(app) as client:
        response = await client.get("/slow")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "2"


async def test_raw_asyncpg_error_is_mapped_like_sqlalchemy_ones(
    make_settings: Any, app_client: Any
) -> None:
    # Hot paths run single statements on a raw asyncpg pool (create_raw_pool): its errors get
    # the same answers — 503 for "cannot serve now", 409 for a constraint — never a 500.
    from fastapi import APIRouter
    from nightwatch_core.app_factory import create_service_app
    from nightwatch_core.db import create_raw_pool
    from nightwatch_core.settings import ServiceSettings

    settings = make_settings(ServiceSettings, service_name="raw")
    router = APIRouter()

    @router.get("/slow")
    async def slow(request: Request) -> dict[str, str]:
        async with request.app.state.raw.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL statement_timeout = 10")
            await conn.execute("SELECT pg_sleep(1)")
        return {"done": "never"}

    @router.get("/conflict")
    async def conflict(request: Request) -> dict[str, str]:
        async with request.app.state.raw.acquire() as conn:
            await conn.execute(
                "DO $$ BEGIN RAISE unique_violation USING MESSAGE = 'duplicate'; END $$"
            )
        return {"done": "never"}

    async def open_pool(app: Any) -> None:
        app.state.raw = await create_raw_pool(settings)

    async def close_pool(app: Any) -> None:
        await app.state.raw.close()

    app = create_service_app(
        title="raw",
        settings=settings,
        routers=[router],
        on_startup=[open_pool],
        on_shutdown=[close_pool],
    )
    async with app_client(app) as client:
        slow_response = await client.get("/slow")
        conflict_response = await client.get("/conflict")
    assert_error(slow_response, 503, "database_unavailable")
    assert_error(conflict_response, 409, "conflict")
