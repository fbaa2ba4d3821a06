"""Where a camera may be reached: host, port and path only, on a network the site allow-lists.

A camera address comes from a technician's request, and the hub then makes requests to it on its own:
without these rules that is a way to make the hub fetch its own admin pages, the broker or a cloud metadata
service (SSRF). So: no URLs (no scheme to smuggle), paths of plain characters, and every address the host
resolves to must be in an allow-listed network and none of the forbidden ones. The check runs at
registration (422 naming why) and again before every probe, on the addresses the name resolves to then, and
the probe connects to the checked address itself (a DNS answer that changes in between changes nothing).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

HOST_RE: Final = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]{2,45}\]?$")
PATH_RE: Final = re.compile(r"^/[A-Za-z0-9._~/-]{0,199}$")
# Cloud metadata services: never a camera, whatever the allow-list says.
METADATA: Final = tuple(ipaddress.ip_network(n) for n in (
    "169.254.169.254/32", "169.254.170.2/32", "100.100.100.200/32", "fd00:ec2::254/128"))


class AddressRefused(ValueError):
    """The address may not be used for a camera; the message says why (for the technician, in a 422)."""


@dataclass(frozen=True, slots=True)
class Policy:
    allowed: tuple[Net, ...]  # the site's camera networks
    reserved: tuple[tuple[IP, int, str], ...] = ()  # (address, port, what): the hub, the broker, InfluxDB

    @classmethod
    def of(cls, networks: Iterable[str], reserved: Iterable[tuple[str, int, str]] = (),
           resolve: Resolver | None = None) -> Policy:
        nets = tuple(ipaddress.ip_network(n, strict=False) for n in networks)
        taken: list[tuple[IP, int, str]] = []
        for host, port, what in reserved:
            for ip in _resolve_quietly(host, port, resolve or system_resolver):
                taken.append((ipaddress.ip_address(ip), port, what))
        return cls(nets, tuple(taken))


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _resolve_quietly(host: str, port: int, resolve: Resolver) -> list[str]:
    try:
        return resolve(host.strip("[]"), port)
    except OSError:
        return []


def check_host(host: str) -> str:
    if "://" in host or host.lower().startswith(("http:", "https:", "ftp:", "file:", "rtsp:")):
        raise AddressRefused(f"host {host[:80]!r}: give the host alone (a name or an IP), not a URL with a scheme")
    if not HOST_RE.fullmatch(host):
        raise AddressRefused(f"host {host[:80]!r}: not a host name or an IP address")
    return host.strip("[]")


def check_path(path: str, what: str = "path") -> str:
    if not PATH_RE.fullmatch(path) or "//" in path or "/../" in f"{path}/" or "/./" in f"{path}/":
        raise AddressRefused(f"{what} {path[:80]!r}: a plain path starting with '/' (letters, digits, . _ ~ - /; "
                             "no query, no '..', at most 200 characters)")
    return path


def refusal(ip_text: str, port: int, policy: Policy) -> str | None:
    """Why this resolved address may not be probed, or None when it may."""
    ip = ipaddress.ip_address(ip_text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in METADATA):
        return f"{ip} is a cloud metadata address"
    for address, taken_port, what in policy.reserved:
        if ip == address and port == taken_port:
            return f"{ip}:{port} is {what}"
    if ip.is_unspecified or ip.is_multicast:
        return f"{ip} is not a single host"
    if ip.is_link_local:
        return f"{ip} is link-local"
    explicit = any(ip in net for net in policy.allowed)
    if ip.is_loopback and not explicit:
        return f"{ip} is loopback (the hub itself); allow it explicitly in cameras_allowed_networks to use it"
    if not explicit:
        allowed = ", ".join(str(n) for n in policy.allowed) or "none configured"
        return f"{ip} is not on an allowed camera network ({allowed})"
    return None


def resolve_checked(host: str, port: int, policy: Policy, resolve: Resolver = system_resolver) -> str:
    """The address to connect to: every address `host` resolves to must pass, and the first is used."""
    name = check_host(host)
    try:
        addresses: Sequence[str] = resolve(name, port)
    except OSError as exc:
        raise AddressRefused(f"host {name!r} does not resolve: {exc.strerror or exc}") from None
    if not addresses:
        raise AddressRefused(f"host {name!r} does not resolve to any address")
    for ip in addresses:
        why = refusal(ip, port, policy)
        if why is not None:
            raise AddressRefused(f"host {name!r} resolves to {why}")
    return addresses[0]
