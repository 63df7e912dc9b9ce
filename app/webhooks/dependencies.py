"""Dependencies of the webhooks routes (and of other domains' routes on a webhook subscription)."""

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep, WriteIntent
from app.core.types import PathId
from app.webhooks import service
from app.webhooks.models import Webhook


def valid_webhook(webhook_id: PathId, session: SessionDep, for_update: WriteIntent) -> Webhook:
    return service.get(session=session, webhook_id=webhook_id, for_update=for_update)


ValidWebhook = Annotated[Webhook, Depends(valid_webhook)]
