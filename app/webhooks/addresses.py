"""Where webhooks may point: http(s) URLs read the way the HTTP client reads them, never to
link-local or cloud metadata addresses and, in production, never to this host.

A subscription URL is checked when it is saved and again before each delivery, and every
connection is made to an address checked just before (a name can start pointing
elsewhere). Redirects are not followed, so a receiver cannot bounce a delivery to a
refused address.
"""

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import certifi
import httpcore
import httpx

from app.core.config import Settings
from app.webhooks.this_host import IPAddress, this_host_addresses

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
# Refused in production only: development and the tests deliver to receivers on this host.
LOOPBACK_NETWORKS: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
LOCALHOST = ipaddress.IPv4Address("127.0.0.1")

_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
_HOST_NAME = re.compile(r"(?=.{1,253}\.?\Z)[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*\.?", re.I)
# A last label resolvers read as a number (decimal, octal, 0x hex): the host is then an
# IPv4 address to them, whatever else it says (WHATWG URL calls this "ends in a number").
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*", re.IGNORECASE)


class DestinationRefused(ValueError):
    pass


class UnusableURL(ValueError):
    """A URL the HTTP client cannot use, or whose host a resolver may read otherwise."""


def check_url_shape(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials, as httpx parses it, or
    UnusableURL."""
    if not _PRINTABLE_ASCII.fullmatch(url):
        raise UnusableURL(
            "the URL must be printable ASCII: hosts in punycode, the rest percent-encoded"
        )
    parsed = _parsed(url)
    if parsed.scheme not in ("http", "https"):
        raise UnusableURL("the URL must be an http:// or https:// URL")
    if not parsed.raw_host:
        raise UnusableURL("the URL must name a host")
    if parsed.userinfo:
        raise UnusableURL("the URL must not carry credentials; deliveries are signed instead")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise UnusableURL(f"the port {parsed.port} is not between 1 and 65535")
    _check_host(parsed.raw_host.decode("ascii"))
    return url


def _parsed(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise UnusableURL(f"the URL cannot be parsed: {exc}") from None


def _check_host(host: str) -> None:
    if ":" in host:  # an IPv6 address, which httpx has checked
        if "%" in host:
            raise UnusableURL(f"the host {host} names an IPv6 zone, which only link-local uses")
        return
    if _NUMBER.fullmatch(host.removesuffix(".").rsplit(".", 1)[-1]):
        # Resolvers read 127.1, 0x7f.0.0.1 or 2130706433 as 127.0.0.1: only the plain form
        # is checked as it is written.
        if _plain_ipv4(host) is None:
            raise UnusableURL(
                f"the host {host} looks like an IPv4 address but is not written as one: "
                "four decimal numbers 0-255 without leading zeros, as in 192.0.2.10"
            )
    elif not _HOST_NAME.fullmatch(host):
        raise UnusableURL(f"the host {host} is not a valid host name")


def _plain_ipv4(host: str) -> ipaddress.IPv4Address | None:
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        return None
    return address if str(address) == host else None


@dataclass(frozen=True)
class Destinations:
    """The settings' rules for which addresses deliveries may reach."""

    allowed: Sequence[Network] = ()
    refuse_this_host: bool = False  # loopback and this host's addresses (production)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Destinations":
        return cls(
            allowed=tuple(settings.webhook_allowed_networks),
            refuse_this_host=settings.environment == "production",
        )

    def refusal(self, address: IPAddress) -> str | None:
        """Why deliveries may not go to this address ("is in ..."), or None if they may.

        Blocking where this host is refused: its addresses may have to be looked up.
        """
        address = _unmapped(address)
        if any(address in network for network in self.allowed):
            return None
        for network in REFUSED_NETWORKS:
            if address in network:
                return f"is in {network}, a link-local, metadata or non-unicast range"
        if not self.refuse_this_host:
            return None
        for network in LOOPBACK_NETWORKS:
            if address in network:
                return f"is in {network}, loopback"
        if address in this_host_addresses():
            return "is an address of this host"
        return None


def _unmapped(address: IPAddress) -> IPAddress:
    """The address the connection really goes to: IPv4 for ::ffff:a.b.c.d, no zone."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:
            return ipaddress.IPv6Address(str(address).split("%")[0])
    return address


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _names_localhost(host: str) -> bool:
    name = host.lower().removesuffix(".")
    return name == "localhost" or name.endswith(".localhost")


def check_literal_host(url: str, destinations: Destinations) -> None:
    """Refuse at once a URL whose host is a refused address (other names resolve later)."""
    host = _parsed(url).host
    address = literal_address(host)
    if address is not None:
        if reason := destinations.refusal(address):
            raise DestinationRefused(f"{_unmapped(address)} {reason}")
    # RFC 6761: localhost names mean loopback, whatever a resolver would answer.
    elif _names_localhost(host) and (reason := destinations.refusal(LOCALHOST)):
        raise DestinationRefused(f"{host} resolves to {LOCALHOST}, which {reason}")


async def checked_address(host: str, port: int, destinations: Destinations) -> str:
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
    check = partial(_first_refusal, destinations, addresses)
    # Looking up this host's own addresses may resolve its name: not on the event loop.
    refused = await asyncio.to_thread(check) if destinations.refuse_this_host else check()
    if refused is not None:
        address, reason = refused
        raise DestinationRefused(
            f"{address} {reason}" if literal else f"{host} resolves to {address}, which {reason}"
        )
    return str(addresses[0])


def _first_refusal(
    destinations: Destinations, addresses: Iterable[IPAddress]
) -> tuple[IPAddress, str] | None:
    for address in addresses:
        if reason := destinations.refusal(address):
            return _unmapped(address), reason
    return None


class _CheckedNetwork(httpcore.AsyncNetworkBackend):
    """Connects to the very address it checked: a name that changes its answer between
    a check and the connection (DNS rebinding) cannot slip through."""

    def __init__(self, destinations: Destinations) -> None:
        self.destinations = destinations
        self.network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await checked_address(host, port, self.destinations)
        return await self.network.connect_tcp(address, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.network.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """HTTP for webhooks: every connection goes to an address the rules allow. TLS still
    checks the certificate against the URL's host name."""

    def __init__(self, destinations: Destinations) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            network_backend=_CheckedNetwork(destinations),
        )
