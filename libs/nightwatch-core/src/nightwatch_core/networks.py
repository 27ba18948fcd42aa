"""Lists of addresses and networks in settings (``"127.0.0.1, 10.0.0.0/8"``)."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str, *, setting: str) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses or networks; a ValueError names the setting and the bad entry."""
    networks = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"{setting}: {entry!r} is not an address or network") from exc
    return tuple(networks)


def in_networks(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)
