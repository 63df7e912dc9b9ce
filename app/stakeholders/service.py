"""Stakeholder rules: unique e-mail, and no removal while their requests remain."""

from collections.abc import Sequence

from pydantic import Field
from sqlmodel import Session, col, select

from app.core.db import delete_unless_referenced
from app.core.errors import Conflict, NotFound
from app.core.filters import one_of, where_equal
from app.core.models import apply_changes
from app.core.pagination import PageParams, fetch_page
from app.core.search import contains_text
from app.core.types import FilterText
from app.events.outbox import publish_resources
from app.stakeholders.models import (
    Stakeholder,
    StakeholderCreate,
    StakeholderGroup,
    StakeholderRead,
    StakeholderUpdate,
)


class StakeholderFilters(PageParams):
    """Query parameters of the list: field filters, `q` text search, and the page."""

    group: StakeholderGroup | None = Field(
        default=None, description="Only stakeholders of this group."
    )
    organization: FilterText | None = Field(
        default=None, description="Only stakeholders of this organization (exact match)."
    )
    email: FilterText | None = Field(
        default=None, description="Only the stakeholder with this e-mail (any case)."
    )
    q: FilterText | None = Field(
        default=None, description="Text in the name, e-mail or organization (any case)."
    )


def get(*, session: Session, stakeholder_id: int, for_update: bool = False) -> Stakeholder:
    stakeholder = session.get(
        Stakeholder, stakeholder_id, with_for_update=for_update, populate_existing=for_update
    )
    if stakeholder is None:
        raise NotFound(f"Stakeholder {stakeholder_id} does not exist.")
    return stakeholder


def list_stakeholders(
    *, session: Session, filters: StakeholderFilters
) -> tuple[Sequence[Stakeholder], str | None]:
    statement = select(Stakeholder)
    statement = where_equal(statement, Stakeholder, filters, "group", "organization")
    if filters.email is not None:
        statement = statement.where(Stakeholder.email == filters.email.lower())
    if filters.q:
        statement = statement.where(
            contains_text(filters.q, Stakeholder.name, Stakeholder.email, Stakeholder.organization)
        )
    return fetch_page(
        session=session,
        statement=statement,
        id_column=col(Stakeholder.id),
        params=filters,
        list_name="/stakeholders",
    )


def create(*, session: Session, data: StakeholderCreate) -> Stakeholder:
    _ensure_email_free(session, data.email)
    stakeholder = Stakeholder.model_validate(data)
    session.add(stakeholder)
    session.flush()
    return stakeholder


def update(*, session: Session, stakeholder: Stakeholder, data: StakeholderUpdate) -> Stakeholder:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("email") not in (None, stakeholder.email):
        _ensure_email_free(session, changes["email"])
    apply_changes(stakeholder, changes)
    session.flush()
    return stakeholder


def delete(*, session: Session, stakeholder: Stakeholder) -> None:
    # The one key that points at a stakeholder is its requests'.
    refusal = f"Stakeholder {stakeholder.id} still has requests; move or delete them first."
    delete_unless_referenced(session, stakeholder, refusal)


def reads_by_id(*, session: Session, ids: set[int]) -> dict[int, StakeholderRead]:
    if not ids:
        return {}
    found = session.exec(select(Stakeholder).where(col(Stakeholder.id).in_(ids)))
    return {s.id: StakeholderRead.model_validate(s) for s in found if s.id is not None}


def emails_by_id(*, session: Session, ids: set[int]) -> dict[int, str]:
    """The e-mails of the stakeholders that have one."""
    if not ids:
        return {}
    found = session.exec(
        select(Stakeholder.id, Stakeholder.email).where(col(Stakeholder.id).in_(ids))
    )
    return {id_: email for id_, email in found if id_ is not None and email is not None}


def ids_by_email(*, session: Session, emails: set[str]) -> dict[str, int]:
    """The stakeholders with these e-mails (as stored: lower case), by e-mail."""
    if not emails:
        return {}
    postgres = session.get_bind().dialect.name == "postgresql"
    found = session.exec(
        select(Stakeholder.email, Stakeholder.id).where(
            one_of(col(Stakeholder.email), emails, postgres)
        )
    )
    return {email: id_ for email, id_ in found if email is not None and id_ is not None}


def _ensure_email_free(session: Session, email: str | None) -> None:
    if email is None:
        return
    taken = session.exec(select(Stakeholder.id).where(Stakeholder.email == email)).first()
    if taken is not None:
        raise Conflict(f"A stakeholder with e-mail {email} already exists (id {taken}).")


# Its events carry the stakeholder as the API answers it.
publish_resources(
    Stakeholder, "stakeholder", lambda _session, rows: map(StakeholderRead.model_validate, rows)
)
