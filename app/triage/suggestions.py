"""Where a request belongs, and what belongs under a need, by the words they share.

Ranked on each database's own full-text engine (app/core/fulltext.py): the request's
words, stemmed, any of them, against each need's statement and description and against
the requests already filed under it. A need's score is its own text's score plus the
mean of its best-matching requests' scores: a need whose requests keep saying what this
one says ranks high even when its statement is worded otherwise. Each suggestion names
the words that matched, so a person can judge it at a glance.
"""

from collections import defaultdict
from dataclasses import dataclass
from itertools import chain
from typing import Any

import pydantic
from sqlalchemy import Table, bindparam
from sqlmodel import Session, col, select

from app.core.fulltext import SEARCHED, any_of, terms_parameter, words_of
from app.needs import service as needs
from app.needs.models import Need, NeedRead
from app.requests import service as requests
from app.requests.effective import request_undecided_condition
from app.requests.models import Request, RequestRead

# The words a suggestion is asked for: the title's first, then the description's. A long
# description adds little past its first words, and each word is one more term to rank.
MAX_WORDS = 32
# How many of a need's requests speak for it, and how many matching requests are read.
MEMBERS_COUNTED = 3
MEMBERS_READ = 300
NEED_TABLE: Table = Need.__table__  # type: ignore[attr-defined]
REQUEST_TABLE: Table = Request.__table__  # type: ignore[attr-defined]


class SuggestedNeed(pydantic.BaseModel):
    need: NeedRead
    score: float = pydantic.Field(description="How well it matches: the higher, the better.")
    matched: list[str] = pydantic.Field(
        description="The request's words found in the need or in the requests under it."
    )


class SuggestedNeeds(pydantic.BaseModel):
    items: list[SuggestedNeed] = pydantic.Field(description="The likeliest needs first.")


class SuggestedRequest(pydantic.BaseModel):
    request: RequestRead
    score: float = pydantic.Field(description="How well it matches: the higher, the better.")
    matched: list[str] = pydantic.Field(description="The need's words found in the request.")


class SuggestedRequests(pydantic.BaseModel):
    items: list[SuggestedRequest] = pydantic.Field(description="The likeliest requests first.")


def suggested_needs(*, session: Session, request: Request, limit: int) -> SuggestedNeeds:
    dialect = session.get_bind().dialect.name
    words = words_of(f"{request.title} {request.description}")[:MAX_WORDS]
    terms = any_of(words, dialect=dialect)
    if terms is None:
        return SuggestedNeeds(items=[])
    statements = _STATEMENTS[dialect]
    own: dict[int, float] = dict(session.execute(statements.needs, {"search_terms": terms}).all())
    members: dict[int, list[tuple[int, float]]] = defaultdict(list)
    filed = session.execute(statements.filed, {"search_terms": terms, "self": request.id})
    for request_id, need_id, score in filed:
        if len(members[need_id]) < MEMBERS_COUNTED:  # best first: the need's best ones
            members[need_id].append((request_id, score))
    scores = {
        need_id: own.get(need_id, 0.0)
        + sum(score for _, score in members.get(need_id, [])) / MEMBERS_COUNTED
        for need_id in own.keys() | members.keys()
    }
    best = sorted(scores, key=lambda need_id: (-scores[need_id], need_id))[:limit]
    in_needs = _words_held(session, words, dialect=dialect, table=NEED_TABLE, ids=best)
    speaking = {need_id: [r for r, _ in members.get(need_id, [])] for need_id in best}
    in_requests = _words_held(
        session, words, dialect=dialect, table=REQUEST_TABLE, ids=[*chain(*speaking.values())]
    )
    reads = {read.id: read for read in needs.to_reads(session=session, needs=_needs(session, best))}
    return SuggestedNeeds(
        items=[
            SuggestedNeed(
                need=reads[need_id],
                score=round(scores[need_id], 6),
                matched=_in_order(
                    words, in_needs[need_id], *(in_requests[r] for r in speaking[need_id])
                ),
            )
            for need_id in best
        ]
    )


def suggested_requests(*, session: Session, need: Need, limit: int) -> SuggestedRequests:
    """Untriaged requests (under no need, with no answer of their own) that read like the
    need's statement and description."""
    dialect = session.get_bind().dialect.name
    words = words_of(f"{need.statement} {need.description}")[:MAX_WORDS]
    terms = any_of(words, dialect=dialect)
    if terms is None:
        return SuggestedRequests(items=[])
    found = session.execute(_STATEMENTS[dialect].untriaged, {"search_terms": terms, "limit": limit})
    scores: dict[int, float] = dict(found.all())
    held = _words_held(session, words, dialect=dialect, table=REQUEST_TABLE, ids=list(scores))
    tracked = session.exec(select(Request).where(col(Request.id).in_(scores))).all()
    reads = {read.id: read for read in requests.to_reads(session=session, requests=tracked)}
    return SuggestedRequests(
        items=[
            SuggestedRequest(
                request=reads[request_id],
                score=round(score, 6),
                matched=_in_order(words, held[request_id]),
            )
            for request_id, score in scores.items()
        ]
    )


def _needs(session: Session, ids: list[int]) -> list[Need]:
    found = {need.id: need for need in session.exec(select(Need).where(col(Need.id).in_(ids)))}
    return [found[need_id] for need_id in ids]


def _words_held(
    session: Session, words: list[str], *, dialect: str, table: Table, ids: list[int]
) -> dict[int, set[str]]:
    """Which of `words` each row of `ids` holds, as the index reads them (stemmed): one
    look-up a word, among a few rows."""
    held: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return held
    statement = _STATEMENTS[dialect].holding[table.name]
    for word in words:
        found = session.execute(
            statement, {"search_terms": any_of([word], dialect=dialect), "ids": ids}
        )
        for (row_id,) in found:
            held[row_id].add(word)
    return held


def _in_order(words: list[str], *held: set[str]) -> list[str]:
    """The words held by any of `held`, in the order the text said them."""
    return [word for word in words if any(word in some for some in held)]


@dataclass(frozen=True)
class _Statements:
    """The suggestions' statements on one database."""

    needs: Any  # (need id, score) of each need whose own text matches
    filed: Any  # (request id, need id, score): the best-matching requests filed under needs
    untriaged: Any  # (request id, score): the best-matching untriaged requests
    holding: dict[str, Any]  # table name -> the ids among :ids whose text matches


def _statements(dialect: str) -> _Statements:
    terms = terms_parameter()
    need_index, request_index = SEARCHED["need"], SEARCHED["request"]
    request_id, need_id = REQUEST_TABLE.c.id, REQUEST_TABLE.c.need_id
    request_score = request_index.score(terms, dialect=dialect)
    matching_requests = (
        select(request_id, need_id, request_score)
        .select_from(request_index.source(REQUEST_TABLE, dialect=dialect))
        .where(request_index.matches(terms, dialect=dialect))
    )
    return _Statements(
        needs=select(NEED_TABLE.c.id, need_index.score(terms, dialect=dialect))
        .select_from(need_index.source(NEED_TABLE, dialect=dialect))
        .where(need_index.matches(terms, dialect=dialect)),
        filed=matching_requests.where(need_id.is_not(None), request_id != bindparam("self"))
        .order_by(request_score.desc(), request_id.desc())
        .limit(MEMBERS_READ),
        untriaged=select(request_id, request_score)
        .select_from(request_index.source(REQUEST_TABLE, dialect=dialect))
        .where(
            request_index.matches(terms, dialect=dialect),
            need_id.is_(None),
            request_undecided_condition(),
        )
        .order_by(request_score.desc(), request_id.desc())
        .limit(bindparam("limit")),
        holding={
            table.name: select(table.c.id)
            .select_from(SEARCHED[table.name].source(table, dialect=dialect))
            .where(
                SEARCHED[table.name].matches(terms, dialect=dialect),
                table.c.id.in_(bindparam("ids", expanding=True)),
            )
            for table in (NEED_TABLE, REQUEST_TABLE)
        },
    )


_STATEMENTS = {dialect: _statements(dialect) for dialect in ("sqlite", "postgresql")}
