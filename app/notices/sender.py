"""Sends notices that are due: by mail (SMTP, or .eml files in the embedded default),
or to the change feed only for a stakeholder with no address. Runs in the server (one
per worker process) or alone with `reqtrack notices run`, on app.core.worker like the
webhook dispatcher."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.core.config import Settings
from app.core.worker import PollingWorker, running
from app.mail.backends import MailBackend, backend_from_settings
from app.notices.gathering import GATHER_BATCH, gather_owed, has_owed, woken_when_owed
from app.notices.sending import Attempt, Claim, claim_due, has_due, record_attempts

# Notices claimed per round; each is one message.
BATCH = 100


@asynccontextmanager
async def running_sender(engine: Engine, settings: Settings) -> AsyncIterator[None]:
    """The sender as a task of the server, unless the settings leave it to another process."""
    if not settings.notice_sender_enabled:
        yield
        return
    sender = NoticeSender(engine=engine, settings=settings)
    # A decision committed here is gathered at once, not at the next poll.
    with woken_when_owed(sender.wake):
        async with running(sender):
            yield


class NoticeSender(PollingWorker):
    name = "notices"

    def __init__(
        self, *, engine: Engine, settings: Settings, backend: MailBackend | None = None
    ) -> None:
        super().__init__(
            engine=engine, settings=settings, poll_seconds=settings.notice_poll_seconds
        )
        self.backend = backend or backend_from_settings(settings)

    async def work_once(self) -> bool:
        """Gather the changes waiting into notices, then send what is due."""
        gathered = await self._gather()
        return await self._send_due() or gathered

    async def _gather(self) -> bool:
        """Whether more may wait: only a full batch goes round again at once. Changes
        that trickle in wait for the next poll, gathered together, rather than keep the
        sender spinning on a few at a time beside the requests that write them."""
        if not await self.in_transaction(has_owed, write=False):
            return False
        taken = await self.in_transaction(partial(gather_owed, settings=self.settings))
        return taken == GATHER_BATCH

    async def _send_due(self) -> bool:
        """Claim, mail and record batches while they come full. While one batch is being
        mailed, the one before it is recorded and the next claimed (and rendered), in one
        transaction: the database and the mail server work at the same time."""
        if not await self.in_transaction(has_due, write=False):
            return False
        claims = await self.in_transaction(self._claim)
        if not claims:
            return False
        mailed: list[Attempt] = []
        while claims:
            mailing = asyncio.create_task(self._send(claims))
            more = len(claims) == BATCH
            try:
                claims = await self.in_transaction(
                    partial(self._record_then_claim, attempts=mailed, claim_more=more)
                )
            except BaseException:
                await self._record(mailed + await mailing)  # what went out is kept
                raise
            mailed = await mailing
        await self._record(mailed)
        return True

    def _claim(self, session: Session) -> list[Claim]:
        return claim_due(session, settings=self.settings, limit=BATCH)

    def _record_then_claim(
        self, session: Session, attempts: list[Attempt], claim_more: bool
    ) -> list[Claim]:
        record_attempts(session, attempts, settings=self.settings)
        return self._claim(session) if claim_more else []

    async def _record(self, attempts: list[Attempt]) -> None:
        settings = self.settings
        try:
            await self.in_transaction(lambda s: record_attempts(s, attempts, settings=settings))
        except SQLAlchemyError:
            # Unrecorded: the leases run out and they are sent again, with the same Message-IDs.
            self.logger.warning("notices: could not record the sending of %d", len(attempts))

    async def _send(self, claims: list[Claim]) -> list[Attempt]:
        """Mail what has an address; a notice on the feed is told by its notice.sent event."""
        mailed = [(claim.notice_id, claim.message) for claim in claims if claim.message]
        failures = await self.backend.send_all([message for _, message in mailed])
        failed = {
            notice_id: failure for (notice_id, _), failure in zip(mailed, failures, strict=True)
        }
        return [
            Attempt(claim, failure.reason, failure.permanent)
            if (failure := failed.get(claim.notice_id))
            else Attempt(claim)
            for claim in claims
        ]
