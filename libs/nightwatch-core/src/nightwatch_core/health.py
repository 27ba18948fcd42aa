"""``/health`` (liveness: no I/O) and ``/health/ready`` (readiness: real checks, short timeouts).

A readiness check is an async callable taking the app and returning ``None`` when healthy or a
reason string when not; raising counts as unhealthy too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

ReadinessCheck = Callable[[FastAPI], Awaitable[str | None]]


async def database_check(app: FastAPI) -> str | None:
    async with app.state.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return None


async def _run_check(app: FastAPI, check: ReadinessCheck, limit: float) -> str | None:
    try:
        return await asyncio.wait_for(check(app), timeout=limit)
    except TimeoutError:
        return f"timed out after {limit:g}s"
    except Exception as exc:  # a failing dependency is the answer, not an error
        return f"{type(exc).__name__}: {str(exc)[:200]}"


def configure_health(
    app: FastAPI, *, checks: dict[str, ReadinessCheck] | None = None, timeout: float = 2.0
) -> None:
    all_checks: dict[str, ReadinessCheck] = {"database": database_check, **(checks or {})}

    @app.get("/health", tags=["health"], summary="Liveness: the process is up (no I/O)")
    async def health(request: Request) -> dict[str, str]:
        return {"status": "ok", "service": request.app.state.settings.service_name}

    @app.get(
        "/health/ready",
        tags=["health"],
        summary="Readiness: every dependency answers",
        responses={503: {"description": "A dependency is down; `checks` names it and why"}},
    )
    async def ready(request: Request) -> JSONResponse:
        names: Sequence[str] = list(all_checks)
        results = await asyncio.gather(
            *(_run_check(request.app, all_checks[name], timeout) for name in names)
        )
        checks_out = {
            name: ({"status": "ok"} if reason is None else {"status": "failing", "reason": reason})
            for name, reason in zip(names, results, strict=True)
        }
        healthy = all(reason is None for reason in results)
        return JSONResponse(
            {
                "status": "ready" if healthy else "not_ready",
                "service": request.app.state.settings.service_name,
                "checks": checks_out,
            },
            status_code=200 if healthy else 503,
        )
