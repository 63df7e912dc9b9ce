"""HTTP routes for /webhooks (admin): subscriptions, their deliveries, manual retries."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.dependencies import RequireAdmin
from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.etags import IfMatch, check_if_match, set_created, set_etag
from app.core.locations import location_of
from app.core.pagination import PageParams
from app.core.types import PathId
from app.idempotency.dependencies import Idempotent
from app.webhooks import service
from app.webhooks.dependencies import ValidWebhook
from app.webhooks.models import (
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
)
from app.webhooks.service import DeliveryFilters

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[RequireAdmin])


@router.get("")
def list_webhooks(session: SessionDep, params: Annotated[PageParams, Query()]) -> WebhookPage:
    webhooks, next_cursor = service.list_webhooks(session=session, params=params)
    return WebhookPage(
        items=[WebhookRead.model_validate(w) for w in webhooks], next_cursor=next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent])
def create_webhook(
    body: WebhookCreate,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> WebhookCreated:
    """Subscribe a URL to events; the answer shows the signing secret the server
    generated, this once (one given in the body is never shown back)."""
    webhook = service.create(session=session, data=body, settings=settings)
    location = location_of(request, "get_webhook", webhook_id=webhook.id)
    set_created(response, location, webhook.version)
    shown = {"secret": None} if body.secret is not None else {}
    return WebhookCreated.model_validate(webhook, update=shown)


@router.get("/{webhook_id}")
def get_webhook(webhook: ValidWebhook, response: Response) -> WebhookRead:
    set_etag(response, webhook.version)
    return WebhookRead.model_validate(webhook)


@router.patch("/{webhook_id}")
def update_webhook(
    webhook: ValidWebhook,
    body: WebhookUpdate,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    if_match: IfMatch = None,
) -> WebhookRead:
    check_if_match(if_match, webhook.version)
    webhook = service.update(session=session, webhook=webhook, data=body, settings=settings)
    set_etag(response, webhook.version)
    return WebhookRead.model_validate(webhook)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook: ValidWebhook, session: SessionDep, if_match: IfMatch = None) -> None:
    check_if_match(if_match, webhook.version)
    service.delete(session=session, webhook=webhook)


@router.get("/{webhook_id}/deliveries")
def list_webhook_deliveries(
    webhook: ValidWebhook, session: SessionDep, filters: Annotated[DeliveryFilters, Query()]
) -> DeliveryPage:
    """Newest first, each with every attempt made (time, duration, answer or error)."""
    deliveries, next_cursor = service.list_deliveries(
        session=session, webhook=webhook, filters=filters
    )
    return DeliveryPage(items=deliveries, next_cursor=next_cursor)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Idempotent],
)
def retry_webhook_delivery(
    webhook: ValidWebhook,
    delivery_id: PathId,
    session: SessionDep,
    settings: SettingsDep,
) -> DeliveryRead:
    """Send a failed delivery again: a new round of attempts starts now."""
    delivery = service.get_delivery(
        session=session, webhook=webhook, delivery_id=delivery_id, for_update=True
    )
    delivery = service.retry(session=session, delivery=delivery, settings=settings)
    return service.to_delivery_reads(session, [delivery])[0]
