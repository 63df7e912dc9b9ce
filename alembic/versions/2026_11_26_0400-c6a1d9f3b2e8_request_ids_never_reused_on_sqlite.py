"""request ids never reused on SQLite again

Revision ID: c6a1d9f3b2e8
Revises: b5e08d2c4f17
Create Date: 2026-11-26 04:00:00

A batch migration (fa7199f091a8) rebuilt the request table on SQLite without its
AUTOINCREMENT: once the newest request was deleted, the next one took its id, and an
integration holding that id found another request. The table is rebuilt with it, rows and
ids as they are, counting on from the highest id the audit log has seen (a request deleted
before now keeps its id to itself too). The rebuild drops the table's search triggers, so
they are created again (as 7c1f4e2a9b30 made them). PostgreSQL's sequences never reuse an
id: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c6a1d9f3b2e8"
down_revision: str | None = "b5e08d2c4f17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_TRIGGERS = [
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
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "request", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass
    for statement in SEARCH_TRIGGERS:
        op.execute(statement)
    # Foreign keys are off while migrating (alembic/env.py): check them before committing.
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"rebuilding request left rows pointing at nothing: {broken[:10]}")
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'request'")
    op.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'request', max("
        "coalesce((SELECT max(id) FROM request), 0), "
        "coalesce((SELECT max(entity_id) FROM audit_entry WHERE entity = 'request'), 0))"
    )


def downgrade() -> None:
    """Nothing to undo: the earlier revisions meant the table to have AUTOINCREMENT."""
