"""Full-text search on each database's own engine, English words stemmed.

SQLite keeps an FTS5 index of each searched table (`<table>_search`, porter tokenizer,
kept in step by triggers); PostgreSQL a stored, generated tsvector (`search_vector`,
`english` configuration, the first column weighted above the second) with a GIN index
(`ix_<table>_search`). The migrations `request_search` and `english_search` make them;
they are not models, so the schema comparison leaves them out (`compared_with_models`),
and no ORM query reads them.

A query is made of the words of what was typed (letters and digits in any script; every
other character is a separator, never syntax), each quoted and matched as a stemmed word
or the start of one, stop words left out: "Exports for the CRM" asks for export*, crm*.
"""

import html
import re
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

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
    literal_column,
    text,
)
from sqlmodel import Session

_WORD = re.compile(r"[^\W_]+")  # letters and digits, in any script
# PostgreSQL's English stop words (its english.stop): SQLite's tokenizer has none, and the
# two databases must agree on what a query asks. (As text: 127 words read best so.)
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for
    with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too
    very s t can will just don should now""".split()  # noqa: SIM905
)
SEARCH_VECTOR = "search_vector"
K = TypeVar("K")
# Where a snippet's matches start and end, as the database writes it: characters from
# Unicode's private use area, which `marked` turns into <mark> once the text is escaped.
MATCH_START, MATCH_END = "\ue000", "\ue001"
SNIPPET_WORDS = 16
SQLITE_WEIGHTS = (2.0, 1.0)  # bm25's weights of the two columns (PostgreSQL: A and B)
_MATCHED = re.compile(f"{MATCH_START}([^{MATCH_START}{MATCH_END}]*){MATCH_END}")


def words_of(text: str) -> list[str]:
    """The different words of `text` that a search asks for, in order, lower case: a
    repeated word asks nothing more, and stop words ask nothing at all."""
    return [word for word in dict.fromkeys(_WORD.findall(text.lower())) if word not in STOP_WORDS]


# What the indexes hold of a word is asked of each database's own tokenizer, so that the
# words said to match are the ones the index matched. They explain a match (which words
# two texts share), never find one: finding is the index's job.
SQLITE_TOKENIZER = "porter unicode61 remove_diacritics 2"  # as the migrations make them
_POSTGRES_STEMS = text(
    "SELECT word, tsvector_to_array(to_tsvector('english', word)) "
    "FROM unnest(CAST(:words AS text[])) AS word"
)


class _SQLiteStems:
    """An FTS5 table in memory with the indexes' tokenizer (the same SQLite library's):
    what it holds of a word is what they hold. One connection, one caller at a time."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize='{SQLITE_TOKENIZER}')"
        )
        self._db.execute("CREATE VIRTUAL TABLE terms USING fts5vocab(words, instance)")
        self._lock = threading.Lock()

    def of(self, words: list[str]) -> dict[str, str]:
        with self._lock, self._db:
            self._db.execute("DELETE FROM words")
            self._db.executemany("INSERT INTO words(rowid, word) VALUES (?, ?)", enumerate(words))
            held = dict(self._db.execute("SELECT doc, term FROM terms").fetchall())
        return {word: held.get(row, word) for row, word in enumerate(words)}


_sqlite_stems = _SQLiteStems()


def stems(words: set[str], *, session: Session) -> dict[str, str]:
    """Each of `words` (lower case) as the database's index holds it."""
    ordered = sorted(words)
    if session.get_bind().dialect.name == "sqlite":
        return _sqlite_stems.of(ordered)
    found = session.execute(_POSTGRES_STEMS, {"words": ordered})
    return {word: lexemes[0] if lexemes else word for word, lexemes in found}


def shared_words(
    words: list[str], texts: Mapping[K, Sequence[str]], *, session: Session
) -> dict[K, list[str]]:
    """For each key, those of `words` that any of its texts holds, as the index reads them
    (stemmed), in the order of `words`: all stemmed at once."""
    in_texts = {key: set().union(*map(words_of, written)) for key, written in texts.items()}
    stemmed = stems(set(words).union(*in_texts.values()), session=session)
    shared = {}
    for key, held_words in in_texts.items():
        held = {stemmed[word] for word in held_words}
        shared[key] = [word for word in words if stemmed[word] in held]
    return shared


def all_of(words: list[str], *, dialect: str) -> str | None:
    """The index's query for rows holding every one of `words` (as a word or the start of
    one); None for no words, which nothing matches."""
    return _joined(words, dialect=dialect, every=True)


def any_of(words: list[str], *, dialect: str) -> str | None:
    """The index's query for rows holding any of `words`, each as a whole (stemmed) word:
    the rows that share the most, and the rarest, rank first."""
    return _joined(words, dialect=dialect, every=False)


def _joined(words: list[str], *, dialect: str, every: bool) -> str | None:
    """Every word quoted, so none is syntax. What one types may end mid-word (a prefix);
    what one wrote may not."""
    if not words:
        return None
    if dialect == "sqlite":  # "sign"* "on"*, or "sign" OR "on"
        return (" " if every else " OR ").join(f'"{word}"{"*" if every else ""}' for word in words)
    # sign:* & on:*, or sign | on
    return (" & " if every else " | ").join(f"{word}{':*' if every else ''}" for word in words)


@dataclass(frozen=True)
class Searched:
    """One table's full-text index, as queries see it."""

    table: str
    columns: tuple[str, str]  # the weightier first

    def source(self, table: Table, *, dialect: str) -> Any:
        """What a query of `table`'s matching rows reads FROM: on SQLite the index joined
        to its rows, on PostgreSQL the table (its vector is a column)."""
        if dialect == "sqlite":
            return self.fts.join(table, table.c.id == self.fts.c.rowid)
        return table

    @property
    def fts(self) -> Table:
        """SQLite: the FTS5 table (its rowid is the row's id)."""
        return _fts_tables[self.table]

    def matches(self, terms: Any, *, dialect: str) -> ColumnElement[bool]:
        """The index's row matches the query `terms` (a bound parameter). On SQLite, a
        condition on `fts`; on PostgreSQL, on the table itself."""
        if dialect == "sqlite":
            fts = self.fts
            return fts.c[fts.name].op("MATCH")(terms)
        return self.vector.op("@@")(func.to_tsquery(literal_column("'english'"), terms))

    def score(self, terms: Any, *, dialect: str) -> ColumnElement[float]:
        """How well a matching row matches: the higher, the better (bm25 on SQLite, with
        the first column weighing twice the second; ts_rank on PostgreSQL)."""
        if dialect == "sqlite":
            return -func.bm25(literal_column(self.fts.name), *SQLITE_WEIGHTS)
        query = func.to_tsquery(literal_column("'english'"), terms)
        return func.ts_rank(self.vector, query)

    def ranked_by_weights(self) -> ColumnElement[bool]:
        """SQLite: FTS5's own `rank` is bm25 with `score`'s weights. Ordered by `rank`, FTS5
        ranks every match itself, then computes the other columns (a snippet) only for
        the rows read: a second look-up of the index for each snippet cost a third more."""
        weights = ", ".join(map(str, SQLITE_WEIGHTS))
        return self.fts.c.rank.op("MATCH")(literal_column(f"'bm25({weights})'"))

    def snippet(self, terms: Any, *, dialect: str) -> ColumnElement[str]:
        """A few words around the matches, each match between MATCH_START and MATCH_END."""
        if dialect == "sqlite":
            fts: ColumnElement[Any] = literal_column(self.fts.name)
            return func.snippet(fts, -1, MATCH_START, MATCH_END, "…", SNIPPET_WORDS)
        text = func.concat_ws(" ", *(literal_column(f"{self.table}.{c}") for c in self.columns))
        options = (
            f"StartSel={MATCH_START}, StopSel={MATCH_END}, "
            f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}"
        )
        query = func.to_tsquery(literal_column("'english'"), terms)
        return func.ts_headline(literal_column("'english'"), text, query, options)

    @property
    def vector(self) -> ColumnElement[Any]:
        """PostgreSQL: the stored vector of the row."""
        return literal_column(f"{self.table}.{SEARCH_VECTOR}")


SEARCHED = {
    table: Searched(table, columns)
    for table, columns in {
        "request": ("title", "description"),
        "need": ("statement", "description"),
        "roadmap_item": ("title", "description"),
        "stakeholder": ("name", "organization"),
    }.items()
}
_fts_tables = {
    table: Table(
        f"{table}_search",
        MetaData(),
        Column("rowid", Integer),
        Column(f"{table}_search", String),
        Column("rank", Float),
    )
    for table in SEARCHED
}


def terms_parameter() -> Any:
    return bindparam("search_terms", type_=String)


def compared_with_models(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's include_name: the search indexes, the vector columns and FTS5's own
    tables are not models."""
    if type_ == "column":
        return name != SEARCH_VECTOR
    if type_ not in {"table", "index"} or name is None:
        return True
    return not any(
        name == f"ix_{table}_search" or name.startswith(f"{table}_search") for table in SEARCHED
    )


def marked(snippet: str) -> str:
    """A snippet as HTML: its text escaped, its matches in <mark>. The markers are kept in
    pairs: stored text may hold them too, and must not open a mark it does not close."""
    escaped = html.escape(snippet, quote=False)
    paired = _MATCHED.sub(r"<mark>\1</mark>", escaped)
    return paired.replace(MATCH_START, "").replace(MATCH_END, "")
