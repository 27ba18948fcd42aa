"""Settings of the api-gateway service (environment variables; see docs/gateway.md)."""

from __future__ import annotations

from typing import ClassVar

from nightwatch_core.settings import ServiceSettings
from pydantic import Field, field_validator, model_validator

from nightwatch_gateway.client_address import LOOPBACK, IPNetwork, parse_trusted_proxies

# The development default of earlier versions: public, so a token signed with it is forgeable by
# anyone. Refused outside tests (`check_secrets`); unset, the stack's own random key is used.
DEV_JWT_SECRET = "nightwatch-dev-secret-change-me-in-production"  # noqa: S105
TEST_ENVIRONMENTS = frozenset({"test"})
DEFAULT_ADMIN_PASSWORD = "admin"  # noqa: S105 - the published first login, changed at once


class GatewaySettings(ServiceSettings):
    service_name: str = "api-gateway"
    # No hot SQL paths: the whole connection budget is SQLAlchemy's session pool.
    has_raw_pool: ClassVar[bool] = False
    db_pool_size: int = Field(default=10, ge=1, le=400)

    # Login tokens: HS256 only, signed with this secret; unset: the stack's own, generated on
    # first start and kept in the database (nightwatch_core/secrets.py).
    jwt_secret: str | None = Field(default=None, min_length=32)
    jwt_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    # The seeded first account (created only when no account exists at all).
    bootstrap_admin_username: str = "admin"
    bootstrap_admin_password: str = Field(default=DEFAULT_ADMIN_PASSWORD, min_length=1)
    # How long a verified credential is reused without a database lookup. Revocation through any
    # replica is immediate everywhere (auth/invalidation.py); only while a replica's LISTEN
    # connection is down does a change made elsewhere take up to this long there.
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
    # The client address of a request from a trusted proxy is the one that proxy put in
    # X-Forwarded-For (never a client-written entry). TRUSTED_PROXIES: addresses or networks,
    # comma-separated; TRUST_FORWARDED_FOR=true alone trusts loopback (a proxy on this host).
    trust_forwarded_for: bool = False
    trusted_proxies: str = ""

    # Upstream calls: a timeout answers 504, a refused connection 502, quickly.
    proxy_timeout_seconds: float = Field(default=10.0, gt=0)
    proxy_connect_timeout_seconds: float = Field(default=1.0, gt=0)
    proxy_max_connections: int = Field(default=200, ge=1, le=10_000)
    proxy_keepalive_seconds: float = Field(default=2.0, gt=0, le=300)
    # What one caller may hold at a time (proxy/admission.py): its body must arrive within the
    # timeout (408), and past a cap on requests in flight it gets 429 at once; each cap is below
    # PROXY_MAX_CONNECTIONS so a reserve of the pool is always left to the others.
    request_body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    max_in_flight_per_credential: int = Field(default=64, ge=1)
    max_in_flight_per_address: int = Field(default=128, ge=1)
    # With a Redis RATE_LIMIT_STORAGE_URL the caps hold across every gateway process sharing it;
    # the namespace separates stacks that share one Redis.
    in_flight_namespace: str = Field(default="nightwatch", min_length=1, max_length=100)
    # A refusal past a cap is answered after this long (its Retry-After), so a caller sending
    # again at once cannot turn refusals into a flood; at most MAX_DELAYED_REFUSALS wait at once.
    in_flight_refusal_delay_seconds: float = Field(default=1.0, ge=0, le=10)
    max_delayed_refusals: int = Field(default=1000, ge=0, le=100_000)
    # Event streams (GET /api/v1/incidents/events) each hold an upstream connection for as long
    # as a console is open: at most this many at once per credential (a person's tabs).
    max_event_streams_per_credential: int = Field(default=4, ge=1)
    # Extra public prefixes: JSON {"/api/v1/things": "oncall"} (service names as in the route table).
    extra_routes: dict[str, str] = Field(default_factory=dict)

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _async_storage(cls, value: str) -> str:
        # The limits library picks its asyncio implementation from the "async+" scheme prefix.
        return value if value.startswith("async+") else f"async+{value}"

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        parse_trusted_proxies(value)
        return value

    def shared_in_flight_url(self) -> str | None:
        """The Redis URL the in-flight caps count in, or None: each process counts alone."""
        url = self.rate_limit_storage_url.removeprefix("async+")
        return url if url.startswith(("redis://", "rediss://", "unix://")) else None

    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        if self.trusted_proxies.strip():
            return parse_trusted_proxies(self.trusted_proxies)
        if self.trust_forwarded_for:
            return parse_trusted_proxies(",".join(LOOPBACK))
        return ()

    @model_validator(mode="after")
    def _caps_leave_a_reserve(self) -> GatewaySettings:
        for name in (
            "max_in_flight_per_credential",
            "max_in_flight_per_address",
            "max_event_streams_per_credential",
        ):
            if getattr(self, name) >= self.proxy_max_connections:
                raise ValueError(
                    f"{name.upper()} must be below PROXY_MAX_CONNECTIONS "
                    f"({self.proxy_max_connections}): one caller must not take the whole pool"
                )
        return self

    def check_secrets(self) -> None:
        if self.jwt_secret == DEV_JWT_SECRET and self.environment.lower() not in TEST_ENVIRONMENTS:
            raise ValueError(
                "JWT_SECRET is the public development value: anyone could sign logins with it. "
                "Unset it (the stack then generates and keeps its own) or set a random one"
            )
