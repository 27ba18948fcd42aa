"""Who may talk to a service directly: holders of the service credential, and (in development)
anonymous callers on the service's own machine.

Every service but the gateway sits behind it. A request must carry ``X-Service-Token`` (the
stack's shared secret, ``nightwatch_core.secrets``): the gateway adds it to what it forwards, and
the core ``ServiceClient`` to every call between services. ``X-Actor`` (who did it) and the
``/internal/v1`` routes are accepted only with it.

The development convenience (``ANONYMOUS_LOOPBACK=true``, which ``make up`` sets while it binds
the services to loopback): a request without the credential, from a loopback address, to an
``/api/v1`` route and without ``X-Actor``, is served as the actor ``anonymous@loopback``.
Everywhere else (compose, Kubernetes: the setting's default is off) a service answers only
requests forwarded by the gateway.

Cost on the hot path: the header is found in the loop ``CoreMiddleware`` already makes over the
headers, and compared in constant time; no database, no allocation beyond the comparison.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
from dataclasses import dataclass

from starlette.types import Scope

from nightwatch_core.secrets import StackSecret

SERVICE_TOKEN_HEADER = "X-Service-Token"  # noqa: S105 - a header name
SERVICE_TOKEN_BYTES = SERVICE_TOKEN_HEADER.lower().encode()
ACTOR_BYTES = b"x-actor"
ANONYMOUS_LOOPBACK_ACTOR = "anonymous@loopback"
# Probes and scrapes: no credential, and nothing in them changes state.
PUBLIC_PATHS = frozenset(
    {"/health", "/health/ready", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect"}
)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    status: int = 401


MISSING = Refusal(
    "service_credential_required",
    "This service answers only requests forwarded by the gateway (or calls between services): "
    f"send the request through the gateway, or with {SERVICE_TOKEN_HEADER} "
    "(`python -m nightwatch_core.secrets show service_token`)",
)
NOT_LOADED = Refusal(
    "database_unavailable",
    "This service has not read the stack's credential yet (its database is down); retry shortly",
    503,
)
WRONG = Refusal("service_credential_invalid", f"{SERVICE_TOKEN_HEADER} is not this stack's")
ACTOR_WITHOUT_CREDENTIAL = Refusal(
    "service_credential_required",
    f"X-Actor is accepted only with {SERVICE_TOKEN_HEADER} (the gateway sets both); "
    f"without it a loopback caller is recorded as {ANONYMOUS_LOOPBACK_ACTOR}",
)


class ServiceAuth:
    """The check one service applies, against the stack's credential (read in the lifespan)."""

    def __init__(self, credential: StackSecret, *, anonymous_loopback: bool) -> None:
        self.credential = credential
        self.anonymous_loopback = anonymous_loopback

    def check(self, scope: Scope, presented: bytes | None, has_actor: bool) -> Refusal | None:
        """None when the request may go on (``scope`` may gain the anonymous actor)."""
        path: str = scope["path"]
        if path in PUBLIC_PATHS:
            return None
        token = self.credential.encoded
        if token is None:  # cannot tell a neighbour from a stranger yet: an outage, not a 401
            return NOT_LOADED
        if presented is not None:
            return None if hmac.compare_digest(presented, token) else WRONG
        if not (self.anonymous_loopback and path.startswith("/api/") and _from_loopback(scope)):
            return MISSING
        if has_actor:
            return ACTOR_WITHOUT_CREDENTIAL
        scope["headers"] = [*scope["headers"], (ACTOR_BYTES, ANONYMOUS_LOOPBACK_ACTOR.encode())]
        return None


def _from_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    return client is not None and _loopback_host(client[0])


@functools.lru_cache(maxsize=1024)  # parsing costs ~7 µs; a handful of addresses call directly
def _loopback_host(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
