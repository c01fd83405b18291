"""Which network addresses a data source may reach: the public internet, and what the operator
allowed on purpose (NORTHLINE_FETCH_ALLOW: host names, addresses, CIDRs).

Pure: no lookup happens here. The fetcher resolves a host once, asks `refusal()` about every
address it got, and connects to an address that passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

_CGNAT = IPv4Network("100.64.0.0/10")
_NAT64 = IPv6Network("64:ff9b::/96")
_HOST_NAME = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


def _ipv4_refusal(address: IPv4Address) -> str | None:
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address in _CGNAT, "shared (CGNAT)"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "non-public"),
    )
    return next((reason for hit, reason in checks if hit), None)


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 one carries and would reach: mapped, 6to4, Teredo (the client),
    NAT64's well-known prefix, or the deprecated IPv4-compatible form."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (int(address) >> 32 == 0 and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _ipv6_refusal(address: IPv6Address) -> str | None:
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = _ipv4_refusal(embedded)
        if inner is not None:
            return f"{inner} (inside an IPv6 address)"
        if address.ipv4_mapped is not None:
            return None  # ::ffff:a.b.c.d is a.b.c.d, which is public
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_site_local, "site-local"),
        (address.is_multicast, "multicast"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "non-public"),
    )
    return next((reason for hit, reason in checks if hit), None)


def refusal(address: Address) -> str | None:
    """Why `address` is not on the public internet ("loopback", "private", …), or None if it is."""
    if isinstance(address, IPv6Address):
        return _ipv6_refusal(address)
    return _ipv4_refusal(address)


def as_ipv4(address: Address) -> Address:
    """An IPv4-mapped IPv6 address as the IPv4 address it is; any other address unchanged."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def host_name(host: str) -> str:
    """A host name as compared: lower case, without the root's trailing dot."""
    return host.strip().lower().rstrip(".")


@dataclass(frozen=True)
class AllowList:
    """What the operator allowed although it is not public: host names (exact, whatever they
    resolve to) and networks (an address is a network of one)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Raises ValueError naming the first entry that is neither a host name nor an address
        nor a CIDR."""
        hosts: set[str] = set()
        networks: list[Network] = []
        for entry in entries:
            cleaned = entry.strip()
            if not cleaned:
                continue
            try:
                networks.append(ip_network(cleaned, strict=False))
                continue
            except ValueError:
                pass
            name = host_name(cleaned)
            if not _HOST_NAME.fullmatch(name):
                raise ValueError(f"{cleaned!r} is neither a host name, an IP address nor a CIDR")
            hosts.add(name)
        return cls(frozenset(hosts), tuple(networks))

    def admits(self, host: str, address: Address) -> bool:
        if host_name(host) in self.hosts:
            return True
        candidates = {address, as_ipv4(address)}
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )


def parse_address(text: str) -> Address | None:
    """An IP address literal (IPv6 with or without its zone), or None for a host name."""
    try:
        return ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
