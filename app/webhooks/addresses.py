"""Where webhooks may point: http(s) only, never link-local or cloud metadata addresses.

A subscription URL is checked when it is saved, and every connection is made to an
address checked just before (a name can start pointing elsewhere). Redirects are not
followed, so a receiver cannot bounce a delivery to a refused address.
"""

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REFUSED_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # link-local, and the metadata service of most clouds
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "0.0.0.0/8",  # "this host": reaches local services on some systems
        "::/128",
        "224.0.0.0/4",  # multicast
        "ff00::/8",
        "255.255.255.255/32",
    )
)


_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


class DestinationRefused(ValueError):
    pass


def check_url_shape(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials, or ValueError."""
    if not _PRINTABLE_ASCII.fullmatch(url):
        raise ValueError("must be printable ASCII: hosts in punycode, the rest percent-encoded")
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL")
    if not host:
        raise ValueError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry credentials; deliveries are signed instead")
    if literal_address(host) is None:
        try:
            host.encode("idna")  # what resolving it will do: empty or 64+ character labels fail
        except UnicodeError:
            raise ValueError("must name a valid host") from None
    return url


def refusal(address: IPAddress, allowed: Sequence[Network]) -> str | None:
    """Why deliveries may not go to this address, or None if they may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed):
        return None
    for network in REFUSED_NETWORKS:
        if address in network:
            return f"{address} is in {network}, a link-local, metadata or non-unicast range"
    return None


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_literal_host(url: str, allowed: Sequence[Network]) -> None:
    """Refuse at once a URL whose host is a refused IP address (names resolve later)."""
    address = literal_address(urlsplit(url).hostname or "")
    if address is not None and (reason := refusal(address, allowed)):
        raise DestinationRefused(reason)


async def checked_address(host: str, port: int, allowed: Sequence[Network]) -> str:
    """Resolve `host` and return an address to connect to, refusing it if any is refused."""
    literal = literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise DestinationRefused(f"cannot resolve {host}: {exc}") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if reason := refusal(address, allowed):
            raise DestinationRefused(f"{host} resolves to {reason}" if literal is None else reason)
    return str(addresses[0])


class _CheckedNetwork(httpcore.AsyncNetworkBackend):
    """Connects to the very address it checked: a name that changes its answer between
    a check and the connection (DNS rebinding) cannot slip through."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        self.allowed = allowed
        self.network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await checked_address(host, port, self.allowed)
        return await self.network.connect_tcp(address, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.network.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """HTTP for webhooks: every connection goes to an address the rules allow. TLS still
    checks the certificate against the URL's host name."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            network_backend=_CheckedNetwork(allowed),
        )
