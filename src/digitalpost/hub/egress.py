"""Connections to addresses an organisation administrator chose (REST push endpoints): public addresses only.

An endpoint URL is typed in by an organisation's administrator, so without a check the hub would POST to
anything it can reach: its own services on 127.0.0.1, the cloud metadata service at 169.254.169.254, the
internal network (10.0.0.1), and its error messages would map open ports. Every address a host name resolves
to must be global unicast; loopback, private, link-local, shared (CGNAT), reserved, unspecified and multicast
addresses are refused, also when written as `0x7f000001`, `2130706433`, `0177.0.0.1`, `[::1]`, an IPv4-mapped
(`::ffff:127.0.0.1`) or NAT64 (`64:ff9b::a00:1`) IPv6 address — those forms are what the resolver turns them
into, and the check runs on what it returns. A platform operator may allow networks
(DIGITALPOST_PUSH_ALLOWED_NETWORKS).

The check runs when the endpoint is saved (`refused_because`) and again on every connection (`connect`), which
connects to the very address it checked: a DNS answer that changes between the check and the connection
(rebinding) cannot swap in an internal address. Not for: the SMTP relay or the print provider, which only the
platform operator configures.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class EgressRefused(OSError):
    """The endpoint's address is not one the hub may connect to (an OSError, like any other failed connect)."""


@lru_cache(maxsize=8)
def _parse_networks(networks: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def allowed_networks() -> tuple[Network, ...]:
    return _parse_networks(tuple(settings.DIGITALPOST_PUSH_ALLOWED_NETWORKS))


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64), else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def address_refused_because(address: IPAddress) -> str | None:
    """Why the hub must not connect to `address` (for the operator's log), or None when it may."""
    target = _embedded_ipv4(address)
    if any(target in network or address in network for network in allowed_networks()):
        return None
    for kind in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(target, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if not target.is_global:
        return f"{address} is not a public address"
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (raises OSError when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    # Zone ids ("fe80::1%eth0") are dropped: the address decides.
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos))


def checked_addresses(host: str, port: int) -> list[IPAddress]:
    """The addresses of `host`; EgressRefused if any of them is not allowed (a mixed answer is not trusted)."""
    addresses = resolve(host, port)
    for address in addresses:
        because = address_refused_because(address)
        if because is not None:
            raise EgressRefused(f"{host}: {because}")
    return addresses


def refused_because(host: str, port: int) -> str | None:
    """For the form: why `host` cannot be an endpoint, or None. A name that does not resolve (yet) passes; the
    connection is checked again anyway."""
    try:
        checked_addresses(host, port)
    except EgressRefused as exc:
        return str(exc)
    except (OSError, ValueError, UnicodeError):
        return None
    return None


def connect(host: str, port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to one of `host`'s checked addresses: the address checked is the address connected to."""
    last_error: OSError | None = None
    for address in checked_addresses(host, port):
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect((str(address), port))
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    raise last_error or OSError(f"{host}: no address")
