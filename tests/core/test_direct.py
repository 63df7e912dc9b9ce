"""Statements through the driver (app/core/direct/) write what they are given, whole."""

from sqlite3 import SQLITE_LIMIT_VARIABLE_NUMBER

from sqlalchemy import Engine, select
from sqlmodel import Session

from app.core.direct import execute_in_session, insert_of
from app.core.types import utcnow
from app.stakeholders.models import Stakeholder

STAKEHOLDERS = Stakeholder.__table__  # type: ignore[attr-defined]
FIRST_ID = 9_000


def test_a_batch_larger_than_one_statement_takes_is_written_whole(engine: Engine):
    now = utcnow()
    rows = [
        {
            "id": FIRST_ID + n,
            "name": f"Batch {n}",
            "email": None,
            "group": "sales",
            "organization": None,
            "weight": 1.0,
            "notify": True,
            "portal_generation": 0,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for n in range(25)
    ]
    with Session(engine) as session:
        driver = session.connection().connection.dbapi_connection
        on_sqlite = engine.dialect.name == "sqlite"
        # SQLite writes a batch as multi-row INSERTs: here of four rows each, the last short.
        before = driver.setlimit(SQLITE_LIMIT_VARIABLE_NUMBER, 40) if on_sqlite else None  # type: ignore[union-attr]
        try:
            execute_in_session(session, insert_of(STAKEHOLDERS, with_id=True), rows)
            columns = (STAKEHOLDERS.c.id, STAKEHOLDERS.c.name, STAKEHOLDERS.c.group)
            written = session.execute(
                select(*columns).where(STAKEHOLDERS.c.id >= FIRST_ID).order_by(STAKEHOLDERS.c.id)
            ).all()
        finally:
            if before is not None:
                driver.setlimit(SQLITE_LIMIT_VARIABLE_NUMBER, before)  # type: ignore[union-attr]
            session.rollback()

    assert [tuple(row) for row in written] == [(r["id"], r["name"], "sales") for r in rows]
