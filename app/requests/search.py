"""Full-text search of requests (`q`): ranked, and driven by an index at any size.

The index is the request table's in app/core/fulltext.py. A query asks for every word of
`q`, each as a stemmed word or the start of one: `sign-on` finds "single sign-on",
`expor` and `exports` find "export". Punctuation is never syntax; stop words ask nothing.
"""

from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, select

from app.core.fulltext import SEARCHED, all_of, terms_parameter, words_of
from app.core.types import FilterText
from app.requests.models import Request

_REQUEST_ID: ColumnElement[Any] = Request.__table__.c.id  # type: ignore[attr-defined]
_REQUESTS = SEARCHED["request"]
MAX_SEARCH_WORDS = 16


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
    """What the index is asked for `query`; None when it has no words to ask for (only
    punctuation or stop words), so nothing matches."""
    return all_of(words_of(query), dialect=dialect)


def matching(*, dialect: str) -> ColumnElement[bool]:
    """The request matches the bound `search_terms`: for a search in another order than
    best match first."""
    terms = terms_parameter()
    if dialect == "sqlite":
        fts = _REQUESTS.fts
        return _REQUEST_ID.in_(select(fts.c.rowid).where(_REQUESTS.matches(terms, dialect=dialect)))
    return _REQUESTS.matches(terms, dialect=dialect)


def search(
    filtered: Any | None, *, dialect: str
) -> tuple[Any, ColumnElement[Any], ColumnElement[Any]]:
    """The ids of the requests matching the bound `search_terms`, their id column and their
    score (the lower, the better the match). `filtered`: a select of request ids that other
    filters narrow; None when nothing else does, and SQLite ranks in its index alone
    (joining each match to its row was most of a search's time in a large table)."""
    terms = terms_parameter()
    matches = _REQUESTS.matches(terms, dialect=dialect)
    score = -_REQUESTS.score(terms, dialect=dialect)
    if dialect == "sqlite":
        fts = _REQUESTS.fts
        if filtered is None:
            return select(fts.c.rowid.label("id")).where(matches), fts.c.rowid, score
        return filtered.join(fts, fts.c.rowid == Request.id).where(matches), _REQUEST_ID, score
    if filtered is None:
        filtered = select(_REQUEST_ID)
    return filtered.where(matches), _REQUEST_ID, score
