"""Deliveries connect only to addresses checked at that moment (no DNS rebinding)."""

import asyncio
import re
import socket
from typing import Any

import httpx
import pytest

from app.webhooks.addresses import CheckedTransport, DestinationRefused
from tests.webhooks.receiver import Receiver


def _resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> None:
    """A name server under the test's control: each name answers the address given."""
    real = asyncio.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self: Any, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return await real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)


async def _post(url: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=CheckedTransport([])) as client:
        return await client.post(url, content=b"{}")


def test_the_connection_goes_to_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    # Only our check knows this name: if anything else resolved it, the call would fail.
    _resolving(monkeypatch, {"crm.invalid": "127.0.0.1"})
    url = receiver.url.replace("127.0.0.1", "crm.invalid")

    response = asyncio.run(_post(url))

    assert response.status_code == 200
    assert receiver.received[0].headers["Host"].startswith("crm.invalid")


def test_a_name_that_now_points_at_the_metadata_service_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _resolving(monkeypatch, {"rebinding.invalid": "169.254.169.254"})

    with pytest.raises(
        DestinationRefused, match=re.escape("rebinding.invalid resolves to 169.254.169.254")
    ):
        asyncio.run(_post("http://rebinding.invalid/latest/meta-data/"))
