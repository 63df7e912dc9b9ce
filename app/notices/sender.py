"""Sends notices that are due: by mail (SMTP, or .eml files in the embedded default),
or to the change feed only for a stakeholder with no address. Runs in the server (one
per worker process) or alone with `reqtrack notices run`, on app.core.worker like the
webhook dispatcher."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.core.config import Settings
from app.core.worker import PollingWorker, running
from app.mail.backends import MailBackend, backend_from_settings
from app.notices.sending import Attempt, Claim, claim_due, has_due, record_attempts

# Notices claimed per round; each is one message.
BATCH = 20


@asynccontextmanager
async def running_sender(engine: Engine, settings: Settings) -> AsyncIterator[None]:
    """The sender as a task of the server, unless the settings leave it to another process."""
    enabled = settings.notice_sender_enabled
    async with running(NoticeSender(engine=engine, settings=settings) if enabled else None):
        yield


class NoticeSender(PollingWorker):
    name = "notices"

    def __init__(
        self, *, engine: Engine, settings: Settings, backend: MailBackend | None = None
    ) -> None:
        super().__init__(engine=engine, poll_seconds=settings.notice_poll_seconds)
        self.settings = settings
        self.backend = backend or backend_from_settings(settings)

    async def work_once(self) -> bool:
        """Claim, mail and record batches while they come full. The next batch is claimed
        (and rendered) while one is being mailed: the database and the mail server work
        at the same time, which is most of the sender's speed."""
        if not await self.in_transaction(has_due, write=False):
            return False
        claims = await self._claim()
        if not claims:
            return False
        while claims:
            mailing = asyncio.create_task(self._send(claims))
            try:
                following = await self._claim() if len(claims) == BATCH else []
            finally:  # whatever became of the claim, what was mailed is recorded
                await self._record(await mailing)
            claims = following
        return True

    async def _claim(self) -> list[Claim]:
        settings = self.settings
        return await self.in_transaction(lambda s: claim_due(s, settings=settings, limit=BATCH))

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
