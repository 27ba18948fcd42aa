"""Outbound HTTP to URLs that users choose (webhook recipients) never reaches this host or its
private networks, unless ``WEBHOOK_ALLOWED_NETWORKS`` names them (server-side request forgery).

The check runs where the connection is made, on the addresses the name resolved to, and the
connection goes to exactly the address that was checked: a name that resolves to a public address
when the URL is accepted and to 127.0.0.1 at delivery (DNS rebinding) is still refused. Loopback,
private, link-local (169.254.169.254, the cloud metadata service), shared, reserved, multicast and
unspecified addresses are all "not global"; IPv4 written as ``0x7f000001`` or ``2130706433`` is the
same address to the resolver, so it is the same refusal.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from nightwatch_core.networks import IPAddress, IPNetwork, in_networks


class ForbiddenAddress(Exception):
    """The receiver's address is not one a webhook may reach."""


def forbidden(address: IPAddress, allowed: tuple[IPNetwork, ...]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if in_networks(address, allowed):
        return False
    return not address.is_global or address.is_multicast


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host names without DNS (also the legacy IPv4 forms), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # inet_aton accepts what resolvers accept: 0x7f000001, 2130706433, 127.1, 0177.0.0.1
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def check_host(host: str, allowed: tuple[IPNetwork, ...]) -> None:
    """At acceptance: refuse what is known without DNS (addresses, ``localhost``)."""
    address = literal_address(host)
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        address = ipaddress.IPv4Address("127.0.0.1")
    if address is not None and forbidden(address, allowed):
        raise ValueError(
            "URL points at a loopback, private or link-local address; an operator can allow "
            "such networks with WEBHOOK_ALLOWED_NETWORKS"
        )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking every address before connecting."""

    def __init__(self, allowed: tuple[IPNetwork, ...]) -> None:
        self._allowed = allowed
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
            )
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve the receiver: {exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if any(forbidden(ipaddress.ip_address(a.split("%")[0]), self._allowed) for a in addresses):
            raise ForbiddenAddress(host)
        error: Exception = httpcore.ConnectError("no address to connect to")
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenAddress(path)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def guarded_client(allowed: tuple[IPNetwork, ...], limits: httpx.Limits) -> httpx.AsyncClient:
    """No redirects (a receiver could send us on to an internal address), no proxy from the
    environment (the proxy would connect, unchecked)."""
    return httpx.AsyncClient(
        transport=_guarded_transport(allowed, limits), follow_redirects=False, trust_env=False
    )


def _guarded_transport(
    allowed: tuple[IPNetwork, ...], limits: httpx.Limits
) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    # httpx has no parameter for httpcore's network backend: same pool, our backend.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(allowed),
    )
    return transport
