"""The client's address, believing X-Forwarded-For only from a configured proxy (HAMLET_TRUSTED_PROXIES).

Anyone can send the header, so by default it is ignored and the peer's own address counts: otherwise a
guesser would pick a fresh "address" for every login attempt and never be slowed down. Behind a reverse
proxy whose address is trusted, the header is read from the right (the entry the proxy itself appended)
to the left, skipping further trusted proxies: the first address that is not a trusted proxy is the client.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

Network = IPv4Network | IPv6Network


def trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str | None:
    """Who sent the request: `peer` unless it is a trusted proxy, then the nearest untrusted hop it names."""
    if peer is None or not forwarded_for or not trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",")]
    for hop in reversed(hops):
        try:
            ip_address(hop)
        except ValueError:
            return peer  # a garbled header: trust nothing in it rather than part of it
        if not trusted(hop, proxies):
            return hop
    return hops[0]  # every hop a trusted proxy: the request began inside
