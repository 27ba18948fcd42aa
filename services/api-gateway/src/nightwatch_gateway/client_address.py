"""Which address a request came from, for rate limits and the per-address caps.

``X-Forwarded-For`` is a list anyone can start: a client writes ``X-Forwarded-For: 1.2.3.4`` and
nginx appends the address it saw. So the client is not the first entry but the rightmost one that
was *not* written by a proxy we trust: walk from the peer leftwards past trusted proxies only.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from nightwatch_core.networks import IPNetwork, in_networks, parse_networks

# TRUST_FORWARDED_FOR=true without TRUSTED_PROXIES: the proxy runs on this host (`make up`'s nginx).
LOOPBACK = ("127.0.0.0/8", "::1/128")
_MAX_ADDRESS = 64


def parse_trusted_proxies(value: str) -> tuple[IPNetwork, ...]:
    return parse_networks(value, setting="TRUSTED_PROXIES")


class ClientAddresses:
    def __init__(self, trusted: tuple[IPNetwork, ...]) -> None:
        self._trusted = trusted

    @lru_cache(maxsize=1024)  # noqa: B019 - one instance per app; the few peers repeat
    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return in_networks(ip, self._trusted)

    def resolve(self, peer: str, forwarded_for: str | None) -> str:
        """The address the last trusted proxy saw (the peer itself when it is not a proxy)."""
        if not forwarded_for or not self._trusted or not self.is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if hop and not self.is_trusted(hop):
                return hop[:_MAX_ADDRESS]
        return next((hop[:_MAX_ADDRESS] for hop in hops if hop), peer)
