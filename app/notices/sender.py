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
from app.mail.backends import MailBackend, MailNotSent, backend_from_settings
from app.notices.sending import Claim, claim_due, has_due, record_sending

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
        settings = self.settings
        if not await self.in_transaction(has_due, write=False):
            return False
        claims = await self.in_transaction(lambda s: claim_due(s, settings=settings, limit=BATCH))
        await asyncio.gather(*(self._send(claim) for claim in claims))
        return bool(claims)

    async def _send(self, claim: Claim) -> None:
        error, permanent = None, False
        if claim.message is not None:
            try:
                await self.backend.send(claim.message)
            except MailNotSent as exc:
                error, permanent = exc.reason, exc.permanent
        try:
            await self.in_transaction(
                lambda s: record_sending(
                    s, claim=claim, error=error, settings=self.settings, permanent=permanent
                )
            )
        except SQLAlchemyError:
            # Unrecorded: the lease runs out and it is sent again, with the same Message-ID.
            self.logger.warning("notice %s: could not record the sending", claim.notice_id)
