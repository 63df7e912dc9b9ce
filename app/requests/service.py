"""Request rules: valid references, unique external references, derived status."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, Table, bindparam, or_
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.models import Principal, Role
from app.core.db import write_and_commit
from app.core.direct import (
    AnySelect,
    DirectQuery,
    DirectReads,
    Row,
    execute_in_session,
    insert_of,
)
from app.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable
from app.core.etags import check_if_match
from app.core.models import apply_changes
from app.core.pagination import PageParams
from app.core.types import FilterText, QueryDateTime, QueryId, utcnow
from app.decisions.models import Decision, DecisionRead
from app.decisions.reads import current_decisions_of_needs, need_is_decided
from app.decisions.suspicion import explain_in_session, explain_through, suspect_among
from app.events.journal import AUDIT_TABLE, journal_of
from app.events.outbox import EVENT_TABLE, publish_resources
from app.requests.effective import split_effective_decision, with_effective_decision
from app.requests.models import (
    Channel,
    Request,
    RequestCreate,
    RequestRead,
    RequestSort,
    RequestStatus,
    RequestUpdate,
    RequestUpsert,
    Urgency,
)
from app.requests.references import Broken, look_up, missing_stakeholder
from app.requests.search import MAX_SEARCH_WORDS, SearchText
from app.stakeholders.models import Stakeholder

REQUEST_TABLE: Table = Request.__table__  # type: ignore[attr-defined]
_INSERT_REQUEST = insert_of(REQUEST_TABLE, "id")
_INSERT_RECORD = {table: insert_of(table) for table in (AUDIT_TABLE, EVENT_TABLE)}
# The stored fields a RequestRead answers with (status and decision are derived).
REQUEST_COLUMNS = [name for name in RequestRead.model_fields if name not in {"status", "decision"}]


class RequestFieldFilters(BaseModel):
    """The filters of the list and the export: fields, and `q` text search."""

    # A misspelt filter must not silently return everything.
    model_config = ConfigDict(extra="forbid")

    stakeholder_id: QueryId | None = Field(
        default=None, description="Only requests from this stakeholder."
    )
    need_id: QueryId | None = Field(default=None, description="Only requests under this need.")
    status: RequestStatus | None = Field(
        default=None, description="Only requests with this (derived) status."
    )
    channel: Channel | None = Field(default=None, description="Only requests that came this way.")
    urgency: Urgency | None = Field(default=None, description="Only requests this urgent.")
    customer: FilterText | None = Field(
        default=None, description="Only requests for this customer (exact match)."
    )
    source_system: FilterText | None = Field(
        default=None, description="Only requests from this tool (exact match)."
    )
    external_id: FilterText | None = Field(
        default=None, description="Only requests with this id in their tool (exact match)."
    )
    q: SearchText | None = Field(
        default=None,
        description="Words to find in the title or description, each as a word or the start "
        "of one, English words stemmed (exports finds export); common words ask nothing "
        f"(at most {MAX_SEARCH_WORDS} words).",
    )
    sort: RequestSort | None = Field(
        default=None,
        description="The order: `-created_at` (newest first; the default, but for a search "
        "`q`, which comes best match first), `created_at` (oldest first), "
        "`-revenue_at_stake` (largest first, none last) or `-urgency` (critical first). "
        "Ties go by id, in the same direction.",
    )
    created_after: QueryDateTime | None = Field(
        default=None,
        description="Only requests created at or after this time (ISO 8601; UTC when it "
        "names no offset).",
    )
    created_before: QueryDateTime | None = Field(
        default=None, description="Only requests created before this time (ISO 8601)."
    )

    @model_validator(mode="after")
    def range_in_order(self) -> "RequestFieldFilters":
        # A rule between two parameters, which no schema states: a rule-violation (422).
        after, before = self.created_after, self.created_before
        if after is not None and before is not None and after >= before:
            raise Unprocessable(
                "created_after must be earlier than created_before.",
                loc=["query", "created_before"],
            )
        return self


class RequestFilters(RequestFieldFilters, PageParams):
    """Query parameters of the list: the filters and the page."""


def to_reads(*, session: Session, requests: Sequence[Request]) -> list[RequestRead]:
    """Requests as answered, each with its effective decision and the status it implies:
    read by the statement the driver's reads use, as the session sees them now."""
    ids = [request.id for request in requests if request.id is not None]
    if not ids:
        return []
    rows = session.execute(_REQUESTS_WITH_DECISION, {"request_ids": ids}).mappings()
    answers = {row["id"]: answered(dict(row)) for row in rows}
    explain_in_session(session, suspect_among(answer.decision for answer in answers.values()))
    return [answers[request_id] for request_id in ids]


def to_read(*, session: Session, request: Request) -> RequestRead:
    return to_reads(session=session, requests=[request])[0]


def new_row(
    data: RequestCreate, creator: Principal, *, answered: bool, now: datetime
) -> dict[str, Any]:
    """The columns of a request about to be inserted, all but its id. Its creator is a user,
    an integration's service token, or the stakeholder on their portal (neither column
    set); `answered`: filed under a need already decided."""
    return data.model_dump() | {
        "created_by": creator.user_id,
        "created_by_service_token_id": creator.id if creator.kind == "service_token" else None,
        "first_answered_at": now if answered else None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _requests_with_decision(which: ColumnElement[bool]) -> AnySelect:
    requests = select(*(getattr(Request, name) for name in REQUEST_COLUMNS)).where(which)
    return with_effective_decision(requests)


_REQUEST_WITH_DECISION = DirectQuery(
    _requests_with_decision(col(Request.id) == bindparam("request_id"))
)
_REQUESTS_WITH_DECISION = _requests_with_decision(
    col(Request.id).in_(bindparam("request_ids", expanding=True))
)


async def read(*, reads: DirectReads, request_id: int) -> RequestRead:
    """One request as answered, in one statement through the driver (the hottest read)."""
    row = await reads.one(_REQUEST_WITH_DECISION, request_id=request_id)
    if row is None:
        raise NotFound(f"Request {request_id} does not exist.")
    found = answered(row)
    await explain_through(reads, suspect_among([found.decision]))
    return found


def answered(row: Row) -> RequestRead:
    """A row of with_effective_decision as the API answers it."""
    fields, decision = split_effective_decision(row)
    status = RequestStatus.of(need_id=fields["need_id"], decided=decision is not None)
    return RequestRead.model_validate(fields | {"decision": decision, "status": status})


def get(*, session: Session, request_id: int, for_update: bool = False) -> Request:
    request = session.get(
        Request, request_id, with_for_update=for_update, populate_existing=for_update
    )
    if request is None:
        raise NotFound(f"Request {request_id} does not exist.")
    return request


def create(*, session: Session, data: RequestCreate, creator: Principal) -> RequestRead:
    """A new request, in the session's transaction: its references checked, then it, its
    audit entry and its event inserted through the session's driver connection (the
    busiest write of the API skips the ORM's unit of work)."""
    need_id = data.need_id
    _ensure_references_hold(session, data.model_dump())
    need_decision = current_decisions_of_needs(session, [need_id]).get(need_id) if need_id else None
    row = new_row(data, creator, answered=need_decision is not None, now=utcnow())
    row["id"] = execute_in_session(session, _INSERT_REQUEST, [row])[0]["id"]
    read, records = _read_and_records(row, creator, need_decision)
    for table, record in records.items():
        execute_in_session(session, _INSERT_RECORD[table], [record])
    return read


async def create_and_commit(
    *, session: Session, reads: DirectReads, data: RequestCreate, creator: Principal
) -> RequestRead:
    """`create`, committed. A plain request (no need or external reference to look up,
    no Idempotency-Key's claim in the session's transaction to commit with it) has
    nothing to check but its stakeholder, which its foreign key does: it is written by
    the same rows on the event loop's own connection (`DirectReads.writing`), with no
    worker thread or session."""
    plain = data.need_id is None and data.source_system is None and data.external_id is None
    writing = reads.writing() if plain and not session.in_transaction() else None
    if writing is None:
        return await write_and_commit(
            session, lambda: create(session=session, data=data, creator=creator)
        )
    try:
        async with writing as write:
            row = new_row(data, creator, answered=False, now=utcnow())
            row["id"] = await write.next_id(REQUEST_TABLE)
            read, records = _read_and_records(row, creator, need_decision=None)
            await write.insert_into_each({REQUEST_TABLE: row, **records})
    except IntegrityError:
        if await reads.one(_STAKEHOLDER_ID, id=data.stakeholder_id) is None:
            raise _refused(missing_stakeholder(data.stakeholder_id)) from None
        raise
    return read


def _read_and_records(
    row: dict[str, Any], creator: Principal, need_decision: DecisionRead | None
) -> tuple[RequestRead, dict[Table, dict[str, Any]]]:
    """A new request as the API answers it, and its audit entry and event, by table."""
    (read,) = created_reads([row], {row["need_id"]: need_decision} if need_decision else {})
    return read, journal_of(REQUEST_TABLE, [row], creator, {read.id: read}).of_one()


def created_reads(
    rows: list[dict[str, Any]], need_decisions: dict[int, DecisionRead]
) -> list[RequestRead]:
    """New requests as the API answers them. None has a decision of its own yet: its
    need's current one, if any, is its effective one."""
    reads = []
    for row in rows:
        decision = need_decisions.get(row["need_id"])
        status = RequestStatus.of(need_id=row["need_id"], decided=decision is not None)
        reads.append(RequestRead.model_validate(row | {"status": status, "decision": decision}))
    return reads


def update(*, session: Session, request: Request, data: RequestUpdate) -> Request:
    changes = data.model_dump(exclude_unset=True)
    _ensure_references_hold(
        session, {name: changes[name] for name in ("stakeholder_id", "need_id") if name in changes}
    )
    source_system = changes.get("source_system", request.source_system)
    external_id = changes.get("external_id", request.external_id)
    if (source_system is None) != (external_id is None):
        raise Unprocessable(
            "source_system and external_id are set together or cleared together.",
            loc=["body", "source_system" if source_system is None else "external_id"],
        )
    if (source_system, external_id) != (request.source_system, request.external_id):
        _ensure_references_hold(
            session, {"source_system": source_system, "external_id": external_id}
        )
    need_id = changes.get("need_id")
    if request.first_answered_at is None and need_id and need_is_decided(session, need_id):
        # Filed under a need already decided: answered now, by the need's decision.
        changes["first_answered_at"] = utcnow()
    apply_changes(request, changes)
    session.flush()
    return request


def find_by_external_reference(
    *, session: Session, source_system: str, external_id: str, for_update: bool = False
) -> Request | None:
    statement = select(Request).where(
        Request.source_system == source_system, Request.external_id == external_id
    )
    if for_update:
        # populate_existing: a copy loaded earlier in this session must not hide the
        # version another writer committed while we waited for the lock.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return session.exec(statement).first()


def upsert_external(
    *,
    session: Session,
    source_system: str,
    external_id: str,
    data: RequestUpsert,
    caller: Principal,
    if_match: str | None,
) -> tuple[RequestRead, bool]:
    """Create the request with this reference (True), or update the fields the body gives."""
    existing = find_by_external_reference(
        session=session, source_system=source_system, external_id=external_id, for_update=True
    )
    if existing is None and if_match is not None:
        raise PreconditionFailed("If-Match was given but no request has this reference yet.")
    if existing is None:
        reference = {"source_system": source_system, "external_id": external_id}
        create_data = RequestCreate.model_validate(data.model_dump() | reference)
        try:
            # A savepoint, so losing a race with a concurrent PUT turns into an update.
            with session.begin_nested():
                return create(session=session, data=create_data, creator=caller), True
        except (IntegrityError, Conflict):
            existing = find_by_external_reference(
                session=session,
                source_system=source_system,
                external_id=external_id,
                for_update=True,
            )
            if existing is None:
                raise
    ensure_may_edit(caller, existing)
    check_if_match(if_match, existing.version)
    # Only the fields sent: a re-sent ticket must not undo triage done here (need_id).
    changes = RequestUpdate.model_validate(data.model_dump(exclude_unset=True))
    updated = update(session=session, request=existing, data=changes)
    return to_read(session=session, request=updated), False


def mark_answered(session: Session, *conditions: Any, at: datetime) -> None:
    """Requests matching the conditions that had no answer yet were answered at `at`."""
    session.execute(
        sql_update(Request)
        .where(col(Request.first_answered_at).is_(None), *conditions)
        .values(first_answered_at=at)
    )


def ensure_may_edit(caller: Principal, request: Request) -> None:
    """Managers edit any request; contributors only the ones they created."""
    if caller.role.allows(Role.manager):
        return
    owned = (
        request.created_by == caller.id
        if caller.kind == "user"
        else request.created_by_service_token_id == caller.id
    )
    if not (caller.role.allows(Role.contributor) and owned):
        raise Forbidden(f"Request {request.id} was created by someone else; a manager can edit it.")


def delete(*, session: Session, request: Request) -> None:
    referenced = session.exec(
        select(Decision.id).where(
            or_(
                col(Decision.request_id) == request.id,
                col(Decision.duplicate_of_request_id) == request.id,
            )
        )
    ).first()
    if referenced is not None:
        raise Conflict(
            f"Request {request.id} has decisions (their history is kept); it cannot be deleted."
        )
    session.delete(request)
    session.flush()


def _ensure_references_hold(session: Session, fields: dict[str, Any]) -> None:
    """What `fields` point at exists, and their external reference is no other's."""
    broken = look_up(session, [fields]).broken(fields)
    if broken:
        raise _refused(broken[0])


def _refused(broken: Broken) -> Conflict | Unprocessable:
    if broken.taken:
        return Conflict(broken.message)
    return Unprocessable(broken.message, loc=["body", broken.field])


# A stakeholder's id alone, through the driver on the event loop.
_STAKEHOLDER_ID = DirectQuery(
    select(col(Stakeholder.id)).where(col(Stakeholder.id) == bindparam("id"))
)


# Its events carry the request as the API answers it, with its effective decision.
publish_resources(
    Request, "request", lambda session, rows: to_reads(session=session, requests=rows)
)
