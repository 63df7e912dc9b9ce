"""Sends queued deliveries: signed POSTs with a deadline, one at a time per subscription.

Runs as a task inside the server (one per worker process) or alone with
`reqtrack webhooks run`. Database steps run in a thread, each its own short transaction;
HTTP runs on the event loop. Stopping lets the deliveries in flight finish and takes
no new ones.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.core.config import Settings
from app.core.types import utcnow
from app.core.worker import PollingWorker, running
from app.webhooks.addresses import (
    CheckedTransport,
    DestinationRefused,
    Destinations,
    UnusableURL,
    check_url_shape,
)
from app.webhooks.queue import (
    EXCERPT_CHARS,
    AttemptResult,
    Claim,
    claim_due,
    fan_out,
    has_work,
    record_attempt,
)
from app.webhooks.signing import SECRET_PREFIX, signature

logger = logging.getLogger("reqtrack.webhooks")
T = TypeVar("T")
USER_AGENT = "reqtrack-webhooks/1"


@asynccontextmanager
async def running_dispatcher(engine: Engine, settings: Settings) -> AsyncIterator[None]:
    """The dispatcher as a task of the server, unless the settings leave it to another process."""
    enabled = settings.webhook_dispatcher_enabled
    async with running(Dispatcher(engine=engine, settings=settings) if enabled else None):
        yield


class Dispatcher(PollingWorker):
    name = "webhooks"

    def __init__(self, *, engine: Engine, settings: Settings) -> None:
        super().__init__(
            engine=engine, settings=settings, poll_seconds=settings.webhook_poll_seconds
        )
        self.destinations = Destinations.from_settings(settings)
        self.client: httpx.AsyncClient | None = None

    @asynccontextmanager
    async def resources(self) -> AsyncIterator[httpx.AsyncClient]:
        async with self.http_client() as client:
            self.client = client
            yield client

    async def work_once(self) -> bool:
        assert self.client is not None, "run() opens the client"
        return await self.dispatch_once(self.client)

    async def dispatch_once(self, client: httpx.AsyncClient) -> bool:
        """Queue new events, send what is due; whether there was anything to do."""
        settings = self.settings
        if not await self.in_transaction(has_work, write=False):
            return False
        queued = await self.in_transaction(lambda s: fan_out(s, settings=settings))
        claims = await self.in_transaction(
            lambda s: claim_due(s, settings=settings, limit=settings.webhook_concurrency)
        )
        await asyncio.gather(*(self._deliver(client, claim) for claim in claims))
        return bool(queued or claims)

    def http_client(self) -> httpx.AsyncClient:
        # No redirects: a receiver must not bounce a delivery to a refused address.
        return httpx.AsyncClient(
            transport=CheckedTransport(self.destinations),
            follow_redirects=False,
            timeout=self.settings.webhook_timeout_seconds,
            trust_env=False,
        )

    async def _deliver(self, client: httpx.AsyncClient, claim: Claim) -> None:
        result = await send(client, claim, self.settings)
        try:
            await self.in_transaction(
                lambda s: record_attempt(s, claim=claim, result=result, settings=self.settings)
            )
        except SQLAlchemyError:
            # Unrecorded: the lease runs out and the delivery is sent again (same webhook-id).
            logger.warning("webhook delivery %s: could not record the attempt", claim.delivery_id)


class UnusableSecret(ValueError):
    pass


async def send(client: httpx.AsyncClient, claim: Claim, settings: Settings) -> AttemptResult:
    """One signed POST of the event; never raises, the result says what happened.

    Whatever goes wrong is a failed attempt, retried later: a delivery that raised instead
    would stay "sending" and hold up every later one of its subscription.
    """
    attempted_at, started = utcnow(), time.perf_counter()
    status: int | None = None
    excerpt: str | None = None
    error: str | None = None
    try:
        status, excerpt = await _post(client, claim, settings.webhook_timeout_seconds)
    except Exception as exc:
        error = _failure(exc, claim, settings.webhook_timeout_seconds)
    duration_ms = round((time.perf_counter() - started) * 1000)
    return AttemptResult(attempted_at, duration_ms, status, error, excerpt)


async def _post(client: httpx.AsyncClient, claim: Claim, timeout: float) -> tuple[int, str | None]:
    check_url_shape(claim.url)  # a subscription saved before today's rules is refused too
    message_id, timestamp = f"evt_{claim.event_id}", int(time.time())
    try:
        signed = signature(
            claim.secret, message_id=message_id, timestamp=timestamp, body=claim.body
        )
    except ValueError:
        raise UnusableSecret(
            "the subscription's signing secret cannot be used; give it a new one"
        ) from None
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "accept-encoding": "identity",  # the excerpt is read raw
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signed,
    }
    # One deadline for all of it: a receiver trickling bytes cannot hold us longer.
    async with asyncio.timeout(timeout):
        async with client.stream("POST", claim.url, content=claim.body, headers=headers) as r:
            return r.status_code, await _excerpt(r)


def _failure(exc: Exception, claim: Claim, timeout: float) -> str:
    """Why an attempt failed, for its record: short, and never the signing secret."""
    if isinstance(exc, TimeoutError):
        text = f"no complete answer within {timeout:g} s"
    elif isinstance(exc, DestinationRefused | UnusableURL):
        text = f"refused: {exc}"
    elif isinstance(exc, UnusableSecret):
        text = str(exc)
    elif isinstance(exc, httpx.HTTPError | httpx.InvalidURL | OSError | ValueError):
        # What the network, or an odd URL below httpx, says went wrong.
        text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    else:
        # A bug, most likely; its text could hold anything, so only the log has it.
        logger.error("webhook delivery %s: unexpected error", claim.delivery_id, exc_info=exc)
        text = f"unexpected error ({type(exc).__name__}); the dispatcher's log has the details"
    for secret in {claim.secret, claim.secret.removeprefix(SECRET_PREFIX)} - {""}:
        text = text.replace(secret, "[secret]")
    return text.replace("\x00", "")[:EXCERPT_CHARS]


async def _excerpt(response: httpx.Response) -> str | None:
    """The start of the answer, for the attempt record: bounded, whatever is sent."""
    received = b""
    async for chunk in response.aiter_raw():
        received += chunk
        if len(received) >= EXCERPT_CHARS:
            break
    text = received[:EXCERPT_CHARS].decode("utf-8", errors="replace").replace("\x00", "")
    return text[:EXCERPT_CHARS] or None
