"""Where a request belongs, and what belongs under a need, by the words they share.

Ranked on each database's own full-text engine (app/core/fulltext.py): the request's
words, stemmed, any of them, against each need's statement and description and against
the requests already filed under it (among the newest). A need's score is its own text's
score plus the mean of its best-matching requests' scores: a need whose requests keep
saying what this one says ranks high even when its statement is worded otherwise. Each
suggestion names the words that matched, so a person can judge it at a glance.
"""

from collections import defaultdict
from dataclasses import dataclass
from itertools import chain
from typing import Any

import pydantic
from sqlalchemy import Table, bindparam, func
from sqlmodel import Session, col, select

from app.core.db import consistent_snapshot
from app.core.fulltext import SEARCHED, any_of, shared_words, terms_parameter, words_of
from app.needs import service as needs
from app.needs.models import Need, NeedRead
from app.requests import service as requests
from app.requests.effective import request_undecided_condition
from app.requests.models import Request, RequestRead
from app.requests.service import REQUEST_TABLE

# The words a suggestion is asked for: the title's first, then the description's. A long
# description adds little past its first words, and each word is one more term to rank.
MAX_WORDS = 16
# How many of a need's requests speak for it, and how many matching requests are read.
MEMBERS_COUNTED = 3
MEMBERS_READ = 300
# The requests looked through: the newest ones, which say how the team files things now
# and hold what awaits triage. Ranking every request of a large database by many words
# took seconds (docs/performance.md, "Triage").
NEWEST_REQUESTS = 20_000
NEED_TABLE: Table = Need.__table__  # type: ignore[attr-defined]


class SuggestedNeed(pydantic.BaseModel):
    need: NeedRead = pydantic.Field(description="The need suggested, as GET /needs/{id} has it.")
    score: float = pydantic.Field(description="How well it matches: the higher, the better.")
    matched: list[str] = pydantic.Field(
        description="The request's words found in the need or in the requests under it."
    )


class SuggestedNeeds(pydantic.BaseModel):
    items: list[SuggestedNeed] = pydantic.Field(description="The likeliest needs first.")


class SuggestedRequest(pydantic.BaseModel):
    request: RequestRead = pydantic.Field(
        description="The request suggested, as GET /requests/{id} has it."
    )
    score: float = pydantic.Field(description="How well it matches: the higher, the better.")
    matched: list[str] = pydantic.Field(description="The need's words found in the request.")


class SuggestedRequests(pydantic.BaseModel):
    items: list[SuggestedRequest] = pydantic.Field(description="The likeliest requests first.")


def suggested_needs(*, session: Session, request: Request, limit: int) -> SuggestedNeeds:
    consistent_snapshot(session)  # its several reads, of one state (a need merged meanwhile)
    dialect = session.get_bind().dialect.name
    words = words_of(f"{request.title} {request.description}")[:MAX_WORDS]
    terms = any_of(words, dialect=dialect)
    if terms is None:
        return SuggestedNeeds(items=[])
    statements = _STATEMENTS[dialect]
    own: dict[int, float] = dict(session.execute(statements.needs, {"search_terms": terms}).all())
    members: dict[int, list[tuple[int, float]]] = defaultdict(list)
    filed = session.execute(
        statements.filed,
        {"search_terms": terms, "self": request.id, "floor": _newest_floor(session)},
    )
    for request_id, need_id, score in filed:
        if len(members[need_id]) < MEMBERS_COUNTED:  # best first: the need's best ones
            members[need_id].append((request_id, score))
    scores = {
        need_id: own.get(need_id, 0.0)
        + sum(score for _, score in members.get(need_id, [])) / MEMBERS_COUNTED
        for need_id in own.keys() | members.keys()
    }
    best = sorted(scores, key=lambda need_id: (-scores[need_id], need_id))[:limit]
    speaking = {need_id: [r for r, _ in members.get(need_id, [])] for need_id in best}
    texts = _texts_of(session, [*chain(*speaking.values())])
    found = _needs(session, best)
    reads = {read.id: read for read in needs.to_reads(session=session, needs=found)}
    matched = shared_words(
        words,
        {
            need.id: [need.statement, need.description, *(texts[r] for r in speaking[need.id])]
            for need in found
            if need.id is not None
        },
        session=session,
    )
    return SuggestedNeeds(
        items=[
            SuggestedNeed(need=read, score=round(scores[need_id], 6), matched=matched[need_id])
            for need_id, read in reads.items()
        ]
    )


def suggested_requests(*, session: Session, need: Need, limit: int) -> SuggestedRequests:
    """Untriaged requests (under no need, with no answer of their own) that read like the
    need's statement and description."""
    consistent_snapshot(session)
    dialect = session.get_bind().dialect.name
    words = words_of(f"{need.statement} {need.description}")[:MAX_WORDS]
    terms = any_of(words, dialect=dialect)
    if terms is None:
        return SuggestedRequests(items=[])
    found = session.execute(
        _STATEMENTS[dialect].untriaged,
        {"search_terms": terms, "limit": limit, "floor": _newest_floor(session)},
    )
    scores: dict[int, float] = dict(found.all())
    tracked = session.exec(select(Request).where(col(Request.id).in_(scores))).all()
    reads = {read.id: read for read in requests.to_reads(session=session, requests=tracked)}
    matched = shared_words(
        words,
        {request_id: [read.title, read.description] for request_id, read in reads.items()},
        session=session,
    )
    return SuggestedRequests(
        items=[
            SuggestedRequest(
                request=reads[request_id], score=round(score, 6), matched=matched[request_id]
            )
            for request_id, score in scores.items()
        ]
    )


def _newest_floor(session: Session) -> int:
    """The id the newest requests come after. A value, not a subquery: PostgreSQL plans
    a range it knows the size of from its index, and reads the matches from the words'
    index (seconds) when it does not."""
    newest = session.execute(select(func.max(REQUEST_TABLE.c.id))).scalar()
    return (newest or 0) - NEWEST_REQUESTS


def _needs(session: Session, ids: list[int]) -> list[Need]:
    found = {need.id: need for need in session.exec(select(Need).where(col(Need.id).in_(ids)))}
    return [found[need_id] for need_id in ids]


def _texts_of(session: Session, request_ids: list[int]) -> dict[int, str]:
    found = session.execute(
        select(Request.id, Request.title, Request.description).where(
            col(Request.id).in_(request_ids)
        )
    )
    return {request_id: f"{title} {description}" for request_id, title, description in found}


@dataclass(frozen=True)
class _Statements:
    """The suggestions' statements on one database."""

    needs: Any  # (need id, score) of each need whose own text matches
    filed: Any  # (request id, need id, score): the best-matching requests filed under needs
    untriaged: Any  # (request id, score): the best-matching untriaged requests


def _statements(dialect: str) -> _Statements:
    terms = terms_parameter()
    need_index, request_index = SEARCHED["need"], SEARCHED["request"]
    request_id, need_id = REQUEST_TABLE.c.id, REQUEST_TABLE.c.need_id
    request_score = request_index.score(terms, dialect=dialect)
    # The index's own row id on SQLite: FTS5 then skips to the newest rows itself.
    indexed_id = request_index.fts.c.rowid if dialect == "sqlite" else request_id
    newest = indexed_id > bindparam("floor")
    matching_requests = (
        select(request_id, need_id, request_score)
        .select_from(request_index.source(REQUEST_TABLE, dialect=dialect))
        .where(request_index.matches(terms, dialect=dialect), newest)
    )
    return _Statements(
        needs=select(NEED_TABLE.c.id, need_index.score(terms, dialect=dialect))
        .select_from(need_index.source(NEED_TABLE, dialect=dialect))
        .where(need_index.matches(terms, dialect=dialect)),
        filed=matching_requests.where(need_id.is_not(None), request_id != bindparam("self"))
        .order_by(request_score.desc(), request_id.desc())
        .limit(MEMBERS_READ),
        untriaged=matching_requests.with_only_columns(request_id, request_score)
        .where(need_id.is_(None), request_undecided_condition())
        .order_by(request_score.desc(), request_id.desc())
        .limit(bindparam("limit")),
    )


_STATEMENTS = {dialect: _statements(dialect) for dialect in ("sqlite", "postgresql")}
