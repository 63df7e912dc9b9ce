"""Webhook subscriptions and what was delivered to them."""

from collections.abc import Sequence

from pydantic import Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.models import apply_changes
from app.core.pagination import PageParams, fetch_page
from app.events.models import Event
from app.webhooks.addresses import DestinationRefused, Destinations, check_literal_host
from app.webhooks.models import (
    AttemptRead,
    DeliveryRead,
    DeliveryStatus,
    Webhook,
    WebhookAttempt,
    WebhookCreate,
    WebhookCursor,
    WebhookDelivery,
    WebhookUpdate,
)
from app.webhooks.queue import DELIVERIES
from app.webhooks.signing import generate_secret


class DeliveryFilters(PageParams):
    status: DeliveryStatus | None = Field(
        default=None, description="Only deliveries in this state (failed: the ones to retry)."
    )


def get(*, session: Session, webhook_id: int, for_update: bool = False) -> Webhook:
    webhook = session.get(
        Webhook, webhook_id, with_for_update=for_update, populate_existing=for_update
    )
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} does not exist.")
    return webhook


def list_webhooks(*, session: Session, params: PageParams) -> tuple[Sequence[Webhook], str | None]:
    return fetch_page(
        session=session,
        statement=select(Webhook),
        id_column=col(Webhook.id),
        params=params,
        list_name="/webhooks",
    )


def create(*, session: Session, data: WebhookCreate, settings: Settings) -> Webhook:
    _ensure_destination_allowed(data.url, settings)
    webhook = Webhook.model_validate(data, update={"secret": data.secret or generate_secret()})
    session.add(webhook)
    session.flush()
    # Events from now on: a new subscription does not replay the past.
    last_event_id = session.exec(select(func.max(Event.id))).one() or 0
    session.add(WebhookCursor(webhook_id=webhook.id or 0, last_event_id=last_event_id))
    session.flush()
    return webhook


def update(
    *, session: Session, webhook: Webhook, data: WebhookUpdate, settings: Settings
) -> Webhook:
    changes = data.model_dump(exclude_unset=True)
    if "url" in changes:
        _ensure_destination_allowed(changes["url"], settings)
    apply_changes(webhook, changes)
    session.flush()
    return webhook


def delete(*, session: Session, webhook: Webhook) -> None:
    # Its cursor, deliveries and attempts go with it (ON DELETE CASCADE).
    session.delete(webhook)
    session.flush()


def list_deliveries(
    *, session: Session, webhook: Webhook, filters: DeliveryFilters
) -> tuple[list[DeliveryRead], str | None]:
    statement = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    if filters.status is not None:
        statement = statement.where(WebhookDelivery.status == filters.status)
    deliveries, next_cursor = fetch_page(
        session=session,
        statement=statement,
        id_column=col(WebhookDelivery.id),
        params=filters,
        list_name=f"/webhooks/{webhook.id}/deliveries",
    )
    return to_delivery_reads(session, deliveries), next_cursor


def get_delivery(
    *, session: Session, webhook: Webhook, delivery_id: int, for_update: bool = False
) -> WebhookDelivery:
    delivery = session.get(
        WebhookDelivery, delivery_id, with_for_update=for_update, populate_existing=for_update
    )
    if delivery is None or delivery.webhook_id != webhook.id:
        raise NotFound(f"Webhook {webhook.id} has no delivery {delivery_id}.")
    return delivery


def retry(*, session: Session, delivery: WebhookDelivery, settings: Settings) -> WebhookDelivery:
    """Give a failed delivery another round of attempts, starting now."""
    if delivery.status != DeliveryStatus.failed:
        raise Conflict(
            f"Delivery {delivery.id} is {delivery.status}; only a failed one is retried."
        )
    DELIVERIES.again(delivery, attempts=settings.webhook_max_attempts)
    session.add(delivery)
    session.flush()
    return delivery


def to_delivery_reads(
    session: Session, deliveries: Sequence[WebhookDelivery]
) -> list[DeliveryRead]:
    """Deliveries with their attempts, oldest attempt first, in one query."""
    ids = [d.id for d in deliveries]
    attempts: dict[int, list[AttemptRead]] = {i: [] for i in ids if i is not None}
    rows = session.exec(
        select(WebhookAttempt)
        .where(col(WebhookAttempt.delivery_id).in_(ids))
        .order_by(col(WebhookAttempt.id))
    )
    for attempt in rows:
        attempts[attempt.delivery_id].append(AttemptRead.model_validate(attempt))
    return [
        DeliveryRead.model_validate(
            d,
            update={
                "attempts": attempts[d.id or 0],
                "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
            },
        )
        for d in deliveries
    ]


def _ensure_destination_allowed(url: str, settings: Settings) -> None:
    try:
        check_literal_host(url, Destinations.from_settings(settings))
    except DestinationRefused as refused:
        raise Unprocessable(
            f"Webhooks may not be sent there: {refused}. "
            "An administrator can allow it with REQTRACK_WEBHOOK_ALLOWED_NETWORKS.",
            loc=["body", "url"],
        ) from None
