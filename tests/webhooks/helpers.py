"""Helpers for webhook tests: settings that make time short, subscriptions, deliveries."""

import asyncio
import socket
from collections.abc import Callable
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import col

from app.core.config import Settings
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.models import Webhook
from tests.factories import API


class RunDispatcher(Protocol):
    def __call__(self, done: Callable[[], bool], settings: Settings = ...) -> None: ...


# Milliseconds instead of seconds, so retries and timeouts happen within a test.
FAST = {
    "webhook_backoff_base_seconds": 0.05,
    "webhook_timeout_seconds": 0.4,
    "webhook_lease_seconds": 1.0,
    "webhook_poll_seconds": 0.02,
    "webhook_max_attempts": 3,
}


def dispatch_once(engine: Engine, settings: Settings) -> None:
    """One round: queue new events, send what is due, record the attempts."""

    async def once() -> None:
        dispatcher = Dispatcher(engine=engine, settings=settings)
        async with dispatcher.http_client() as client:
            await dispatcher.dispatch_once(client)

    asyncio.run(once())


def subscribe(client: TestClient, url: str, **fields: Any) -> dict[str, Any]:
    response = client.post(f"{API}/webhooks", json={"url": url} | fields)
    assert response.status_code == 201, response.text
    hook: dict[str, Any] = response.json()
    return hook


def store(engine: Engine, hook: dict[str, Any], **columns: Any) -> None:
    """Write a subscription's row directly, as an older version may have left it: no checks."""
    with engine.begin() as connection:
        connection.execute(update(Webhook).where(col(Webhook.id) == hook["id"]).values(**columns))


def deliveries(client: TestClient, hook: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/webhooks/{hook['id']}/deliveries", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def oldest_status(client: TestClient, hook: dict[str, Any]) -> str | None:
    """The status of the subscription's first delivery, None before there is one."""
    found = deliveries(client, hook)
    return found[-1]["status"] if found else None


def resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> None:
    """A name server under the test's control: each name answers the address given."""
    real = asyncio.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self: Any, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return await real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)


def an_address_of_this_host() -> str:
    """This machine's own (not loopback) IPv4 address: the one its default route leaves from."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # UDP: picks a route, sends nothing
        except OSError as exc:
            pytest.skip(f"this host has no route out, hence no address to test with: {exc}")
        address: str = probe.getsockname()[0]
    if address.startswith("127."):
        pytest.skip("this host has no address but loopback")
    return address
