"""Helpers for webhook tests: settings that make time short, subscriptions, deliveries."""

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core.config import Settings
from app.webhooks.dispatcher import Dispatcher
from tests.factories import API

RunDispatcher = Callable[[Callable[[], bool]], None]
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


def deliveries(client: TestClient, hook: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/webhooks/{hook['id']}/deliveries", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def oldest_status(client: TestClient, hook: dict[str, Any]) -> str | None:
    """The status of the subscription's first delivery, None before there is one."""
    found = deliveries(client, hook)
    return found[-1]["status"] if found else None
