"""Work that waits in a table until a worker sends it: webhook deliveries, notices.

A row is claimed with a lease (a token and an expiry) in one short transaction, sent
outside any transaction, and settled in another: done, failed for good, or due again
after a backoff. A worker that dies mid-send loses nothing: its lease runs out and the
row is due again. Any number of workers (server processes, a command beside them) share
the table: a claim skips rows another worker holds locked (FOR UPDATE SKIP LOCKED on
PostgreSQL; SQLite has one writer at a time).
"""

import asyncio
import logging
import random
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, and_, or_
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from app.core.config import Settings
from app.core.db import open_session, turn
from app.core.types import utcnow

T = TypeVar("T")


class LeasedRow(Protocol):
    """The columns a table of work has (each queue names its own status values)."""

    status: Any
    next_attempt_at: datetime
    lease_token: str | None
    lease_expires_at: datetime | None
    attempt_count: int
    attempts_allowed: int
    finished_at: datetime | None


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: base, x4, x16... capped, then scaled by 50-100 %.
    Jitter keeps many rows failing together (a receiver's outage) from all coming back
    in the same instant."""

    base_seconds: float
    max_seconds: float
    factor: float = 4.0

    def delay(self, failed_attempts: int) -> float:
        exponent = min(failed_attempts - 1, 32)
        ceiling = min(self.max_seconds, self.base_seconds * self.factor**exponent)
        jitter = random.uniform(0.5, 1.0)  # noqa: S311  (timing, not security)
        return ceiling * jitter


@dataclass(frozen=True)
class LeasedQueue:
    """A table of work and what its status values mean."""

    model: Any
    pending: Any
    sending: Any
    done: Any
    failed: Any

    def due(self, now: datetime) -> Any:
        """SQL: rows to send now: pending and due, or held by a lease that ran out (its
        sender died or hung)."""
        model = self.model
        return or_(
            and_(col(model.status) == self.pending, col(model.next_attempt_at) <= now),
            and_(col(model.status) == self.sending, col(model.lease_expires_at) <= now),
        )

    def lease(self, row: LeasedRow, *, seconds: float) -> str:
        """Take the row for one attempt; the token proves it is still ours when settling."""
        token = secrets.token_hex(8)
        row.status = self.sending
        row.lease_token = token
        row.lease_expires_at = utcnow() + timedelta(seconds=seconds)
        return token

    def settle(
        self, row: LeasedRow, *, succeeded: bool, backoff: Backoff, final: bool = False
    ) -> None:
        """After one attempt: done, failed once attempts run out (or at once when the
        failure is `final`: trying again would fail the same way), else due again later."""
        row.attempt_count += 1
        row.lease_token = row.lease_expires_at = None
        if succeeded or final or row.attempt_count >= row.attempts_allowed:
            row.status = self.done if succeeded else self.failed
            row.finished_at = utcnow()
        else:
            row.status = self.pending
            row.next_attempt_at = utcnow() + timedelta(seconds=backoff.delay(row.attempt_count))

    def again(self, row: LeasedRow, *, attempts: int) -> None:
        """A failed row gets another round of `attempts`, starting now (by hand)."""
        row.status = self.pending
        row.attempts_allowed = row.attempt_count + attempts
        row.next_attempt_at = utcnow()
        row.finished_at = None


class PollingWorker(ABC):
    """Works until stopped: each round does what is due, and waits a poll interval when
    there was nothing. A database outage is waited out and any other error logged: the
    rows wait on the worker, so it must outlive whatever happens in one round."""

    name: str

    def __init__(self, *, engine: Engine, settings: Settings, poll_seconds: float) -> None:
        self.engine = engine
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.logger = logging.getLogger(f"reqtrack.{self.name}")
        self._woken: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Start the next round now, not at the next poll: work was just committed in
        this process. Safe from any thread; nothing happens while the worker is not running."""
        if self._loop is not None and self._woken is not None:
            self._loop.call_soon_threadsafe(self._woken.set)

    @abstractmethod
    async def work_once(self) -> bool:
        """One round; whether there was anything to do (then the next starts at once)."""

    def resources(self) -> AbstractAsyncContextManager[Any]:
        """What the worker holds while it runs (an HTTP client, a mail connection)."""
        return nullcontext()

    async def run(self, stop: asyncio.Event) -> None:
        self._loop, self._woken = asyncio.get_running_loop(), asyncio.Event()
        async with self.resources():
            while not stop.is_set():
                try:
                    busy = await self.work_once()
                except SQLAlchemyError as exc:
                    self.logger.warning("%s: database unavailable (%s)", self.name, type(exc))
                    busy = False
                except Exception:
                    self.logger.exception("%s: unexpected error; carrying on", self.name)
                    busy = False
                if not busy:
                    await self._idle(stop, self._woken)

    async def _idle(self, stop: asyncio.Event, woken: asyncio.Event) -> None:
        """Until the poll interval has passed, the worker is stopped, or it is woken."""
        waiting = [asyncio.ensure_future(event.wait()) for event in (stop, woken)]
        await asyncio.wait(waiting, timeout=self.poll_seconds, return_when="FIRST_COMPLETED")
        for waiter in waiting:
            waiter.cancel()
        woken.clear()

    async def in_transaction(self, work: Callable[[Session], T], *, write: bool = True) -> T:
        """`work` in its own short transaction, in a thread: the event loop never waits on
        the database. In its turn beside this process's requests: on SQLite, a request
        that found the write lock held by a worker would wait in SQLite's busy handler,
        which sleeps in steps of up to 100 ms, holding up every write queued behind it."""

        def run() -> T:
            with open_session(self.engine, write=write) as session:
                result = work(session)
                session.commit()
                return result

        async with turn(self.settings, write=write):
            return await asyncio.to_thread(run)


@asynccontextmanager
async def running(worker: PollingWorker | None) -> AsyncIterator[None]:
    """The worker as a task of the server while it serves (None: another process has it).
    Stopping lets the round in flight finish and starts no new one."""
    if worker is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task
