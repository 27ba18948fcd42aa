from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.db import SessionDep
from nightwatch_core.errors import ApiError
from nightwatch_core.settings import ServiceSettings
from pydantic import BaseModel, Field
from sqlalchemy import text


class Item(BaseModel):
    name: str = Field(max_length=50)
    count: int = Field(ge=0)


def sample_router() -> APIRouter:
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, Any]:
        if item_id == 0:
            raise ApiError(404, "Item 0 not found", code="not_found")
        return {"id": item_id}

    @router.post("/items", status_code=201)
    async def create_item(item: Item) -> Item:
        return item

    @router.post("/echo-text")
    async def echo_text(body: dict[str, str], session: SessionDep) -> dict[str, str]:
        # Sends the raw value to PostgreSQL: proves a value PostgreSQL refuses is a 4xx.
        value = (await session.execute(text("SELECT CAST(:v AS text)"), {"v": body["v"]})).scalar()
        return {"v": str(value)}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    return router


@pytest.fixture
def sample_app(make_settings: Any) -> FastAPI:
    settings = make_settings(ServiceSettings, service_name="sample")
    return create_service_app(title="sample", settings=settings, routers=[sample_router()])
