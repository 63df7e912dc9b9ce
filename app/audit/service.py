"""Reading the audit log."""

from collections.abc import Sequence
from typing import Annotated

import pydantic
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.core.errors import InvalidParameter
from app.core.filters import where_equal
from app.core.pagination import PageParams, fetch_page
from app.core.types import MAX_ID, QueryId

Actor = Annotated[str, pydantic.Field(max_length=40, pattern=r"^((user|service_token):)?\d+$")]


class AuditFilters(PageParams):
    entity: Annotated[
        str | None,
        pydantic.Field(
            max_length=32,
            description="Only changes to this kind of resource (request, need, roadmap_item, "
            "decision, stakeholder, user, service_token, webhook).",
        ),
    ] = None
    entity_id: QueryId | None = pydantic.Field(
        default=None, description="Only changes to the resource with this id."
    )
    actor: Actor | None = pydantic.Field(
        default=None, description='A user id ("7", "user:7") or "service_token:3".'
    )
    action: Annotated[
        str | None,
        pydantic.Field(
            max_length=32, description="Only this action: create, update, delete, merge."
        ),
    ] = None


def list_entries(
    *, session: Session, filters: AuditFilters
) -> tuple[Sequence[AuditEntry], str | None]:
    statement = select(AuditEntry)
    statement = where_equal(statement, AuditEntry, filters, "entity", "entity_id", "action")
    if filters.actor is not None:
        kind, _, actor_id = filters.actor.rpartition(":")
        if int(actor_id) > MAX_ID:
            raise InvalidParameter("actor id is out of range.", loc=["query", "actor"])
        statement = statement.where(
            AuditEntry.actor_type == (kind or "user"), AuditEntry.actor_id == int(actor_id)
        )
    return fetch_page(
        session=session,
        statement=statement,
        id_column=col(AuditEntry.id),
        params=filters,
        list_name="/audit",
    )
