"""The addresses of the machine we run on, which production deliveries may not reach.

Its name's addresses work everywhere; on Linux the kernel's tables add every interface's
(the name often resolves to loopback alone). Looked up again now and then: they change.
"""

import ipaddress
import socket
import time
from contextlib import suppress
from pathlib import Path

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

REFRESH_SECONDS = 60.0
_found: tuple[float, frozenset[IPAddress]] = (0.0, frozenset())


def this_host_addresses() -> frozenset[IPAddress]:
    """Every address of this host, loopback excepted or not. Blocking: may resolve its name."""
    global _found
    refresh_at, addresses = _found
    if time.monotonic() >= refresh_at:
        addresses = frozenset(_by_name() | _linux_ipv4() | _linux_ipv6())
        _found = (time.monotonic() + REFRESH_SECONDS, addresses)
    return addresses


def _by_name() -> set[IPAddress]:
    with suppress(OSError, UnicodeError):
        infos = socket.getaddrinfo(socket.gethostname(), None)
        return {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    return set()


def _linux_ipv4() -> set[IPAddress]:
    """The kernel's local routes: a "/32 host LOCAL" line follows each address it owns."""
    found: set[IPAddress] = set()
    last = ""
    with suppress(OSError):
        for raw in Path("/proc/net/fib_trie").read_text().splitlines():
            line = raw.strip()
            if line.startswith("|--"):
                last = line.removeprefix("|--").strip()
            elif line.startswith("/32 host LOCAL"):
                with suppress(ValueError):
                    found.add(ipaddress.IPv4Address(last))
    return found


def _linux_ipv6() -> set[IPAddress]:
    found: set[IPAddress] = set()
    with suppress(OSError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            with suppress(ValueError, IndexError):
                found.add(ipaddress.IPv6Address(int(line.split()[0], 16)))
    return found
