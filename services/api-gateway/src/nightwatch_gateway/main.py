"""App factory of the api-gateway service: `uvicorn --factory nightwatch_gateway.main:create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from fastapi import FastAPI
from nightwatch_core.app_factory import create_service_app
from nightwatch_core.secrets import JWT_SECRET, StackSecret

from nightwatch_gateway.audit.router import router as audit_router
from nightwatch_gateway.auth import service as auth_service
from nightwatch_gateway.auth.authentication import Authenticator
from nightwatch_gateway.auth.credentials import verify_password
from nightwatch_gateway.auth.invalidation import CredentialChangeListener
from nightwatch_gateway.auth.router import router as auth_router
from nightwatch_gateway.client_address import ClientAddresses
from nightwatch_gateway.openapi import configure_openapi
from nightwatch_gateway.proxy.admission import Admission, RefusalPacer
from nightwatch_gateway.proxy.health import downstream_checks
from nightwatch_gateway.proxy.lean import LeanPools
from nightwatch_gateway.proxy.router import PROXY_LANE
from nightwatch_gateway.proxy.router import router as proxy_router
from nightwatch_gateway.proxy.routes import RouteTable
from nightwatch_gateway.proxy.shared_leases import SharedLeases
from nightwatch_gateway.proxy.transport import ShardedTransport
from nightwatch_gateway.ratelimit import RateLimiter
from nightwatch_gateway.settings import DEFAULT_ADMIN_PASSWORD, GatewaySettings

log = logging.getLogger("nightwatch.gateway")


async def _start(app: FastAPI) -> None:
    settings: GatewaySettings = app.state.settings
    jwt_secret = StackSecret(JWT_SECRET, settings.jwt_secret)
    timeout = settings.db_connect_timeout_seconds
    if not await jwt_secret.load(settings.database_url, connect_timeout=timeout):
        # Database down at start: logins and tokens answer 503 until the key is read.
        app.state.jwt_loader = asyncio.create_task(
            jwt_secret.keep_loading(settings.database_url, connect_timeout=timeout)
        )
    app.state.jwt_secret = jwt_secret
    app.state.authenticator = Authenticator(
        jwt_secret=jwt_secret,
        cache_seconds=settings.credential_cache_seconds,
        stale_seconds=settings.credential_stale_seconds,
    )
    # Revocations and account changes made through any replica clear this one's cache at once.
    app.state.credential_listener = CredentialChangeListener(
        database_url=settings.database_url,
        on_change=app.state.authenticator.forget_all,
        connect_timeout=timeout,
    )
    app.state.credential_listener_task = asyncio.create_task(app.state.credential_listener.run())
    app.state.rate_limiter = RateLimiter(settings)
    app.state.proxy_timeout = httpx.Timeout(
        settings.proxy_timeout_seconds, connect=settings.proxy_connect_timeout_seconds
    )
    # One pool for every upstream, used by the proxy directly.
    app.state.proxy_transport = ShardedTransport(
        max_connections=settings.proxy_max_connections,
        # Below the upstreams' own idle timeout (uvicorn: 5 s), so the pool never reuses a
        # connection the server is closing at that moment (seen as rare 502s under load).
        keepalive_expiry=settings.proxy_keepalive_seconds,
    )
    # The alert path's fast lane (proxy/lean.py): connections of its own, the same budget.
    app.state.lean_pools = LeanPools(
        list(app.state.route_table.services.values()),
        max_connections=settings.proxy_max_connections,
        keepalive_seconds=settings.proxy_keepalive_seconds,
        connect_timeout=settings.proxy_connect_timeout_seconds,
        timeout=settings.proxy_timeout_seconds,
    )
    # Readiness and OpenAPI fetches have a pool of their own: however busy the proxy's pool,
    # the gateway can still tell whether the services are up.
    app.state.proxy_client = httpx.AsyncClient(
        timeout=app.state.proxy_timeout,
        limits=httpx.Limits(max_connections=16, keepalive_expiry=settings.proxy_keepalive_seconds),
    )
    shared_url = settings.shared_in_flight_url()
    app.state.admission = Admission(
        per_credential=settings.max_in_flight_per_credential,
        per_address=settings.max_in_flight_per_address,
        body_timeout_seconds=settings.request_body_timeout_seconds,
        pacer=RefusalPacer(
            delay=settings.in_flight_refusal_delay_seconds,
            max_waiting=settings.max_delayed_refusals,
        ),
        shared=None
        if shared_url is None
        else SharedLeases(
            shared_url,
            namespace=settings.in_flight_namespace,
            # Longer than a request's body and upstream timeouts together: in practice only a
            # dead process's leases run out.
            lease_seconds=settings.request_body_timeout_seconds
            + settings.proxy_timeout_seconds
            + 5,
        ),
        streams_per_credential=settings.max_event_streams_per_credential,
    )
    await _seed_first_admin(app, settings)


async def _seed_first_admin(app: FastAPI, settings: GatewaySettings) -> None:
    async with app.state.sessionmaker() as session:
        created = await auth_service.seed_first_admin(
            session=session,
            username=settings.bootstrap_admin_username,
            password=settings.bootstrap_admin_password,
            # The published default must be changed before anything else; a password the
            # operator chose (BOOTSTRAP_ADMIN_PASSWORD) need not be.
            must_change_password=settings.bootstrap_admin_password == DEFAULT_ADMIN_PASSWORD,
        )
        await session.commit()
        if created:
            log.warning("created the first admin account %r", settings.bootstrap_admin_username)
        admin = await auth_service.find_account_by_username(
            session=session, username=settings.bootstrap_admin_username
        )
        if admin is not None and await verify_password(
            admin.password_hash, settings.bootstrap_admin_password
        ):
            log.warning(
                "account %r still has the default password: log in and change it "
                "(POST /api/v1/auth/change-password)",
                admin.username,
            )


async def _stop(app: FastAPI) -> None:
    for name in ("jwt_loader", "credential_listener_task"):
        task = getattr(app.state, name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    await app.state.proxy_client.aclose()
    await app.state.proxy_transport.aclose()
    await app.state.lean_pools.aclose()


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    settings.check_secrets()
    route_table = RouteTable(settings)
    app = create_service_app(
        title="Nightwatch API gateway",
        description="The single public entry: authentication, rate limiting and routing to the services.",
        settings=settings,
        routers=[auth_router, audit_router, proxy_router],
        readiness_checks=downstream_checks(route_table),
        on_startup=[_start],
        on_shutdown=[_stop],
        # People and machines authenticate here with their own credentials.
        require_service_credential=False,
        # The public alert path, the busiest route by far: the proxy route's admission,
        # authentication and audit, without FastAPI's routing and with the lean client.
        fast_lanes={("POST", "/api/v1/alerts"): PROXY_LANE},
    )
    app.state.route_table = route_table
    app.state.client_addresses = ClientAddresses(settings.trusted_proxy_networks())
    configure_openapi(app, route_table)
    return app
