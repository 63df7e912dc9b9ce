"""English full-text search of requests, needs, roadmap items and stakeholders

Revision ID: 2b8f5d1c7e94
Revises: 9a4c2e7b1d58
Create Date: 2026-12-06 17:30:00

Words are stemmed ("exports" finds "export"): SQLite's FTS5 with the porter tokenizer,
PostgreSQL's `english` configuration (issue 22). The requests' index is made again with
the new tokenizer from the rows themselves, so it holds every request it held; needs,
roadmap items and stakeholders get indexes of their own, for GET /search and the
suggestions. Each is kept in step by triggers (SQLite) or is a stored, generated vector
(PostgreSQL). NB: a batch (copy-and-move) migration of one of these tables on SQLite
drops its triggers; such a migration must create them again.
"""

# ruff: noqa: S608  (every name in this SQL is one of this file's constants)

from collections.abc import Sequence

from alembic import op

revision: str = "2b8f5d1c7e94"
down_revision: str | None = "9a4c2e7b1d58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The searched text of each table, its columns in order of weight (PostgreSQL: A, B).
SEARCHED = {
    "request": ("title", "description"),
    "need": ("statement", "description"),
    "roadmap_item": ("title", "description"),
    "stakeholder": ("name", "organization"),
}
NEW_TABLES = ("need", "roadmap_item", "stakeholder")
SQLITE_TOKENIZER = "porter unicode61 remove_diacritics 2"
SQLITE_OLD_TOKENIZER = "unicode61 remove_diacritics 2"


def _fts5_table(table: str, tokenizer: str) -> list[str]:
    columns = ", ".join(SEARCHED[table])
    return [
        f"CREATE VIRTUAL TABLE {table}_search USING fts5({columns}, content='{table}', "
        f"content_rowid='id', tokenize='{tokenizer}')",
        f"INSERT INTO {table}_search({table}_search) VALUES ('rebuild')",
    ]


def _fts5_triggers(table: str) -> list[str]:
    columns = ", ".join(SEARCHED[table])
    new = ", ".join(f"new.{column}" for column in SEARCHED[table])
    old = ", ".join(f"old.{column}" for column in SEARCHED[table])
    index, forget = f"{table}_search", f"INSERT INTO {table}_search({table}_search, rowid, "
    return [
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {index}(rowid, {columns}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN "
        f"{forget}{columns}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {columns} ON {table} BEGIN "
        f"{forget}{columns}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {index}(rowid, {columns}) VALUES (new.id, {new}); END",
    ]


def _postgres_vector(table: str, configuration: str) -> list[str]:
    first, second = SEARCHED[table]
    return [
        f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector('{configuration}', coalesce({first}, '')), 'A') || "
        f"setweight(to_tsvector('{configuration}', coalesce({second}, '')), 'B')) STORED",
        f"CREATE INDEX ix_{table}_search ON {table} USING gin (search_vector)",
    ]


def _postgres_drop(table: str) -> list[str]:
    return [f"DROP INDEX ix_{table}_search", f"ALTER TABLE {table} DROP COLUMN search_vector"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # The triggers on request name the index, not its tokenizer: they stay.
        statements = ["DROP TABLE request_search", *_fts5_table("request", SQLITE_TOKENIZER)]
        for table in NEW_TABLES:
            statements += _fts5_table(table, SQLITE_TOKENIZER) + _fts5_triggers(table)
    else:
        statements = _postgres_drop("request")
        for table in SEARCHED:
            statements += _postgres_vector(table, "english")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        statements = []
        for table in NEW_TABLES:
            statements += [
                f"DROP TRIGGER {table}_search_{event}" for event in ("update", "delete", "insert")
            ]
            statements.append(f"DROP TABLE {table}_search")
        statements += ["DROP TABLE request_search", *_fts5_table("request", SQLITE_OLD_TOKENIZER)]
    else:
        statements = []
        for table in SEARCHED:
            statements += _postgres_drop(table)
        statements.append(
            "ALTER TABLE request ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(description, ''))) "
            "STORED"
        )
        statements.append("CREATE INDEX ix_request_search ON request USING gin (search_vector)")
    for statement in statements:
        op.execute(statement)
