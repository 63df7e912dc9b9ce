"""Need rules: demand is derived from requests; a referenced need stays."""

from collections.abc import Sequence

from sqlalchemy import exists
from sqlmodel import Session, col, select

from app.core.errors import Conflict, NotFound
from app.core.filters import where_equal
from app.core.models import apply_changes
from app.core.pagination import PageParams, fetch_page
from app.core.search import contains_text
from app.core.types import FilterText
from app.decisions.models import Decision
from app.needs.demand import demand_by_need
from app.needs.models import Need, NeedCreate, NeedRead, NeedUpdate
from app.requests.models import Request


class NeedFilters(PageParams):
    """Query parameters of the list: field filters, `q` text search, and the page."""

    theme: FilterText | None = None
    q: FilterText | None = None


def to_reads(*, session: Session, needs: Sequence[Need]) -> list[NeedRead]:
    demands = demand_by_need(session=session, need_ids=[n.id for n in needs if n.id is not None])
    return [
        NeedRead.model_validate(need, update=demands[need.id].model_dump())
        for need in needs
        if need.id is not None
    ]


def get(*, session: Session, need_id: int, for_update: bool = False) -> Need:
    need = session.get(Need, need_id, with_for_update=for_update, populate_existing=for_update)
    if need is None:
        raise NotFound(f"Need {need_id} does not exist.")
    return need


def list_needs(*, session: Session, filters: NeedFilters) -> tuple[Sequence[Need], str | None]:
    statement = select(Need)
    statement = where_equal(statement, Need, filters, "theme")
    if filters.q:
        statement = statement.where(contains_text(filters.q, Need.statement, Need.description))
    return fetch_page(session=session, statement=statement, id_column=col(Need.id), params=filters)


def create(*, session: Session, data: NeedCreate) -> Need:
    need = Need.model_validate(data)
    session.add(need)
    session.flush()
    return need


def update(*, session: Session, need: Need, data: NeedUpdate) -> Need:
    apply_changes(need, data.model_dump(exclude_unset=True))
    session.flush()
    return need


def delete(*, session: Session, need: Need) -> None:
    referenced = session.exec(select(exists().where(col(Request.need_id) == need.id))).one()
    if referenced:
        raise Conflict(f"Need {need.id} still has requests; move them to another need first.")
    decided = session.exec(select(exists().where(col(Decision.need_id) == need.id))).one()
    if decided:
        raise Conflict(f"Need {need.id} has decisions (their history is kept); merge it instead.")
    session.delete(need)
    session.flush()
