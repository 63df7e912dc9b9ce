"""Full-text search of requests (`q`): ranked, and driven by an index at any size.

SQLite keeps an FTS5 index of title and description (`request_search`, kept in step by
triggers); PostgreSQL a stored, generated tsvector of them (`search_vector`) with a GIN
index. Both are made by the migration `request_search` and are not models, so the schema
comparison leaves them out (`compared_with_models`), and no ORM query reads them.

A query is the words of `q`, each matched as a word or the start of one, all required:
`sign-on` finds "single sign-on", `expor` finds "export". Punctuation is never syntax.
"""

import re
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    select,
)
from sqlalchemy.sql import literal_column

from app.core.types import FilterText
from app.requests.models import EXPRESSION_INDEXES, Request

SEARCH_TABLE = "request_search"
SEARCH_INDEX = "ix_request_search"
SEARCH_VECTOR = "search_vector"  # PostgreSQL: to_tsvector('simple', title || description)

# The FTS5 table as queries see it (not a model: the migration owns it).
_fts = Table(
    SEARCH_TABLE,
    MetaData(),
    Column("rowid", Integer),
    Column(SEARCH_TABLE, String),
    Column("rank", Float),
)
_REQUEST_ID: ColumnElement[Any] = Request.__table__.c.id  # type: ignore[attr-defined]
_WORD = re.compile(r"[^\W_]+")  # letters and digits, in any script
MAX_SEARCH_WORDS = 16


def words_of(query: str) -> list[str]:
    """The different words of `query`, in order: a repeated word asks nothing more."""
    return list(dict.fromkeys(_WORD.findall(query.lower())))


def at_most_enough_words(query: str) -> str:
    # Each word is one more prefix to expand and intersect: many of them kept SQLite busy
    # for long, even on a small table.
    if len(words_of(query)) > MAX_SEARCH_WORDS:
        raise PydanticCustomError(
            "too_many_words",
            "Search for at most {limit} different words.",
            {"limit": MAX_SEARCH_WORDS},
        )
    return query


SearchText = Annotated[FilterText, AfterValidator(at_most_enough_words)]


def search_terms(query: str, *, dialect: str) -> str | None:
    """What the index is asked for `query`: each word quoted (no query syntax gets
    through) and a prefix, all required; None when `query` has no words (only
    punctuation), so nothing matches."""
    words = words_of(query)
    if not words:
        return None
    if dialect == "sqlite":
        return " ".join(f'"{word}"*' for word in words)  # "sign"* "on"*
    return " & ".join(f"{word}:*" for word in words)  # sign:* & on:*


def matching(*, dialect: str) -> ColumnElement[bool]:
    """The request matches the bound `search_terms`: for a search in another order than
    best match first."""
    terms = bindparam("search_terms", type_=String)
    if dialect == "sqlite":
        matches = select(_fts.c.rowid).where(_fts.c[SEARCH_TABLE].op("MATCH")(terms))
        return _REQUEST_ID.in_(matches)
    document: ColumnElement[Any] = literal_column(f"{Request.__tablename__}.{SEARCH_VECTOR}")
    return document.op("@@")(func.to_tsquery(literal_column("'simple'"), terms))


def search(
    filtered: Any | None, *, dialect: str
) -> tuple[Any, ColumnElement[Any], ColumnElement[Any]]:
    """The ids of the requests matching the bound `search_terms`, their id column and their
    score (the lower, the better the match). `filtered`: a select of request ids that other
    filters narrow; None when nothing else does, and SQLite ranks in its index alone
    (joining each match to its row was most of a search's time in a large table)."""
    terms = bindparam("search_terms", type_=String)
    if dialect == "sqlite":
        matching = _fts.c[SEARCH_TABLE].op("MATCH")(terms)
        score = _fts.c.rank  # bm25: lower is better
        if filtered is None:
            rowid = _fts.c.rowid
            return select(rowid.label("id")).where(matching), rowid, score
        narrowed = filtered.join(_fts, _fts.c.rowid == Request.id).where(matching)
        return narrowed, _REQUEST_ID, score
    document: ColumnElement[Any] = literal_column(f"{Request.__tablename__}.{SEARCH_VECTOR}")
    tsquery = func.to_tsquery(literal_column("'simple'"), terms)
    if filtered is None:
        filtered = select(_REQUEST_ID)
    narrowed = filtered.where(document.op("@@")(tsquery))
    return narrowed, _REQUEST_ID, -func.ts_rank(document, tsquery)


def compared_with_models(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's include_name: the search index, its vector column and FTS5's own tables
    are not models."""
    if type_ == "column":
        return name != SEARCH_VECTOR
    search_object = name is not None and (name == SEARCH_INDEX or name.startswith(SEARCH_TABLE))
    return not (type_ in {"table", "index"} and search_object)


def compared_object(_object: object, name: str | None, type_: str, *_rest: object) -> bool:
    """Alembic's include_object: indexes on expressions are models, but SQLAlchemy cannot
    read them back from SQLite (tests/requests/test_sorting.py checks them instead)."""
    return not (type_ == "index" and name in EXPRESSION_INDEXES)
