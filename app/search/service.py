"""GET /search: requests, needs, roadmap items and stakeholders, ranked by one query.

Each type is one statement on its own full-text index (app/core/fulltext.py): its best
matches ranked in the index alone, then only those joined to their rows and given a
snippet (a snippet of every match of a common word would cost more than the search).
The types' best are merged by score.
"""

from collections.abc import Hashable
from typing import Any

from sqlalchemy import ColumnElement, Integer, Table, bindparam, literal_column, select

from app.core.direct import AnySelect, DirectQuery, DirectReads
from app.core.fulltext import SEARCHED, marked, terms_parameter
from app.needs.models import Need
from app.requests.models import Request
from app.requests.search import search_terms
from app.roadmap.models import RoadmapItem
from app.search.models import SearchHit, SearchParams, SearchResults, SearchType
from app.stakeholders.models import Stakeholder

_MODELS: dict[SearchType, Any] = {
    SearchType.request: Request,
    SearchType.need: Need,
    SearchType.roadmap_item: RoadmapItem,
    SearchType.stakeholder: Stakeholder,
}
_queries: dict[Hashable, DirectQuery] = {}


async def search(*, reads: DirectReads, params: SearchParams) -> SearchResults:
    dialect = reads.dialect.name
    terms = search_terms(params.q, dialect=dialect)  # read as the requests list's q
    if terms is None:  # only stop words or punctuation: nothing to look for
        return SearchResults(items=[])
    hits: list[SearchHit] = []
    for kind in params.kinds:
        rows = await reads.all(_query(kind, dialect), search_terms=terms, limit=params.limit)
        hits += (
            SearchHit(
                type=kind,
                id=row["id"],
                title=row["title"],
                snippet=marked(row["snippet"] or ""),
                score=round(row["score"], 6),
            )
            for row in rows
        )
    hits.sort(key=lambda hit: (-hit.score, hit.type, hit.id))
    return SearchResults(items=hits[: params.limit])


def _query(kind: SearchType, dialect: str) -> DirectQuery:
    query = _queries.get((kind, dialect))
    if query is None:
        query = _queries[kind, dialect] = DirectQuery(_statement(kind, dialect), search=True)
    return query


def _statement(kind: SearchType, dialect: str) -> AnySelect:
    table: Table = _MODELS[kind].__table__
    searched = SEARCHED[table.name]
    title = searched.columns[0]  # its weightier column: a title, a statement, a name
    terms, limit = terms_parameter(), bindparam("limit", type_=Integer)
    matches = searched.matches(terms, dialect=dialect)
    snippet: ColumnElement[str] = searched.snippet(terms, dialect=dialect).label("snippet")
    if dialect == "sqlite":
        # FTS5 ranks by its `rank`, and writes the snippets of the page's rows alone.
        fts = searched.fts
        ranked = (
            select(fts.c.rowid.label("id"), (-fts.c.rank).label("score"), snippet)
            .where(matches, searched.ranked_by_weights())
            .order_by(fts.c.rank)
            .limit(limit)
            .subquery("ranked")
        )
        snippet = ranked.c.snippet
    else:
        score = searched.score(terms, dialect=dialect)
        # By its label: the score written again would be computed again.
        ranked = (
            select(table.c.id, score.label("score"))
            .where(matches)
            .order_by(literal_column("score").desc(), table.c.id)
            .limit(limit)
            .subquery("ranked")
        )
    statement = select(
        ranked.c.id, table.c[title].label("title"), snippet, ranked.c.score
    ).join_from(ranked, table, table.c.id == ranked.c.id)
    return statement.order_by(ranked.c.score.desc(), ranked.c.id)
