"""Fast dispatcher settings, a receiver, and a way to run the dispatcher until done."""

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from app.core.config import Settings
from app.core.db import open_session
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.models import WebhookDelivery
from tests.webhooks.helpers import FAST, RunDispatcher
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return settings.model_copy(update=FAST)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def run_dispatcher(engine: Engine, fast_settings: Settings) -> RunDispatcher:
    """Run a real dispatcher until `done()` holds (or fail after 20 s)."""

    def run(done: Callable[[], bool], settings: Settings = fast_settings) -> None:
        asyncio.run(_run_until(Dispatcher(engine=engine, settings=settings), done))

    return run


def _queue(engine: Engine) -> list[tuple[Any, ...]]:
    """Every delivery as the database has it, to tell why a test waited in vain."""
    with open_session(engine, write=False) as session:
        return [tuple(row) for row in session.execute(select(WebhookDelivery.__table__))]


async def _run_until(dispatcher: Dispatcher, done: Callable[[], bool]) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    deadline = time.monotonic() + 20
    try:
        while not await asyncio.to_thread(done):
            if time.monotonic() > deadline:
                queue = await asyncio.to_thread(_queue, dispatcher.engine)
                raise AssertionError(f"the dispatcher did not get there in 20 s: {queue}")
            assert not task.done(), "the dispatcher stopped by itself"
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task
