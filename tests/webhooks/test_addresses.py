"""Deliveries connect only to addresses checked at that moment (no DNS rebinding)."""

import asyncio
import re

import httpx
import pytest

from app.webhooks.addresses import CheckedTransport, DestinationRefused, Destinations
from tests.webhooks.helpers import resolving
from tests.webhooks.receiver import Receiver


async def _post(url: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=CheckedTransport(Destinations())) as client:
        return await client.post(url, content=b"{}")


def test_the_connection_goes_to_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    # Only our check knows this name: if anything else resolved it, the call would fail.
    resolving(monkeypatch, {"crm.invalid": "127.0.0.1"})
    url = receiver.url.replace("127.0.0.1", "crm.invalid")

    response = asyncio.run(_post(url))

    assert response.status_code == 200
    assert receiver.received[0].headers["Host"].startswith("crm.invalid")


def test_a_name_that_now_points_at_the_metadata_service_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving(monkeypatch, {"rebinding.invalid": "169.254.169.254"})

    with pytest.raises(
        DestinationRefused, match=re.escape("rebinding.invalid resolves to 169.254.169.254")
    ):
        asyncio.run(_post("http://rebinding.invalid/latest/meta-data/"))
