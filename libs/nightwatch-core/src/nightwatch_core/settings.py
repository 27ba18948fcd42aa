"""Settings from the environment: the only place that reads it.

Every service subclasses :class:`ServiceSettings` for its own fields; the app factory builds one
instance per app, so tests construct settings explicitly instead of patching the environment.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/nightwatch"


def to_asyncpg_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` spellings and pick the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must start with postgresql:// (or postgres://)")


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service_name: str = "nightwatch"
    environment: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    # One connection budget per process (docs/operations.md, "Connection budget"): at most
    # DB_POOL_SIZE connections kept, split between the raw asyncpg pool of the hot paths and
    # workers (DB_RAW_POOL_SIZE of them; unset: half) and SQLAlchemy's session pool for CRUD (the
    # rest), plus up to DB_MAX_OVERFLOW sessions more in a burst. ``raw_pool_size()`` and
    # ``session_pool_size()`` are the split the pools are built with.
    db_pool_size: int = Field(default=20, ge=2, le=400)
    db_raw_pool_size: int | None = Field(default=None, ge=1, le=399)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    # False in a service without hot SQL paths (the gateway): the whole budget is its sessions'.
    has_raw_pool: ClassVar[bool] = True
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    ready_timeout_seconds: float = Field(default=2.0, gt=0)
    log_level: str = "INFO"
    access_log: bool = True
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    # The credential of calls between services and from the gateway (service_auth.py); unset:
    # the stack's own, generated on first start and kept in the database (secrets.py).
    service_token: str | None = Field(default=None, min_length=32)
    # Development only: serve credential-less /api/v1 requests from loopback addresses as
    # `anonymous@loopback` (`make up` turns it on while the services listen on loopback).
    anonymous_loopback: bool = False

    # Retention (nightwatch_core/retention.py): how often a replica removes rows past their age
    # (each service sets the ages), in batches of at most this many rows, pausing between batches.
    retention_enabled: bool = True
    retention_interval_seconds: float = Field(default=3600.0, gt=0, le=86_400)
    retention_batch_size: int = Field(default=1000, ge=1, le=50_000)
    retention_pause_seconds: float = Field(default=0.05, ge=0, le=60)

    # Inter-service calls.
    http_timeout_seconds: float = Field(default=5.0, gt=0)
    http_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    http_retries: int = Field(default=2, ge=0, le=10)
    alert_ingestion_url: str = "http://127.0.0.1:8001"
    incident_management_url: str = "http://127.0.0.1:8002"
    oncall_url: str = "http://127.0.0.1:8003"
    notification_url: str = "http://127.0.0.1:8004"

    def raw_pool_size(self) -> int:
        if not self.has_raw_pool:
            return 0
        return self.db_raw_pool_size or self.db_pool_size // 2

    def session_pool_size(self) -> int:
        return self.db_pool_size - self.raw_pool_size()

    @model_validator(mode="after")
    def _budget_split(self) -> Self:
        if self.session_pool_size() < 1:
            raise ValueError(
                f"DB_RAW_POOL_SIZE ({self.db_raw_pool_size}) must be smaller than DB_POOL_SIZE "
                f"({self.db_pool_size}), the process's whole budget: sessions need one at least"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, value: str) -> str:
        return to_asyncpg_url(value)
