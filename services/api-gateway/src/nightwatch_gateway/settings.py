"""Settings of the api-gateway service (environment variables; see docs/gateway.md)."""

from __future__ import annotations

from nightwatch_core.settings import ServiceSettings
from pydantic import Field, field_validator

# Only for development: a production gateway refuses to start with it (see `check_production`).
DEV_JWT_SECRET = "nightwatch-dev-secret-change-me-in-production"  # noqa: S105
PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod"})


class GatewaySettings(ServiceSettings):
    service_name: str = "api-gateway"

    # Login tokens: HS256 only, signed with this secret.
    jwt_secret: str = Field(default=DEV_JWT_SECRET, min_length=16)
    jwt_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    # The seeded first account (created only when no account exists at all).
    bootstrap_admin_username: str = "admin"
    bootstrap_admin_password: str = Field(default="admin", min_length=1)
    # How long a verified credential is reused without a database lookup; revocation through this
    # replica is immediate, through another replica it takes at most this long.
    credential_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # While the gateway's database is unreachable, a credential verified within this long keeps
    # working (revocations made meanwhile cannot be seen anyway); 0 turns the grace off.
    credential_stale_seconds: float = Field(default=300.0, ge=0, le=86_400)

    # Rate limiting (the `limits` library): "memory://" per process, or a shared store such as
    # "redis://127.0.0.1:6379" so several gateway replicas count together.
    rate_limit_enabled: bool = True
    rate_limit_storage_url: str = "memory://"
    rate_limit_login: str = "10/minute"
    rate_limit_login_address: str = "100/minute"
    rate_limit_unauthenticated: str = "60/minute"
    rate_limit_read: str = "1200/minute"
    rate_limit_write: str = "300/minute"
    rate_limit_ingest: str = "10000/second"
    rate_limit_admin: str = "120/minute"
    # Per integration (its key): what one Alertmanager, Grafana or PagerDuty sender may post.
    rate_limit_integration: str = "100/second"
    # Take the client address from X-Forwarded-For (only behind a trusted proxy such as nginx).
    trust_forwarded_for: bool = False

    # Upstream calls: a timeout answers 504, a refused connection 502, quickly.
    proxy_timeout_seconds: float = Field(default=10.0, gt=0)
    proxy_connect_timeout_seconds: float = Field(default=1.0, gt=0)
    proxy_max_connections: int = Field(default=200, ge=1, le=10_000)
    proxy_keepalive_seconds: float = Field(default=2.0, gt=0, le=300)
    # Extra public prefixes: JSON {"/api/v1/things": "oncall"} (service names as in the route table).
    extra_routes: dict[str, str] = Field(default_factory=dict)

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _async_storage(cls, value: str) -> str:
        # The limits library picks its asyncio implementation from the "async+" scheme prefix.
        return value if value.startswith("async+") else f"async+{value}"

    def check_production(self) -> None:
        if (
            self.environment.lower() in PRODUCTION_ENVIRONMENTS
            and self.jwt_secret == DEV_JWT_SECRET
        ):
            raise ValueError(
                "JWT_SECRET must be set in production (the development default is public)"
            )
