"""Alembic owns the schema: migrations build exactly what the models describe."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from app.core.config import Settings
from app.core.db import make_engine
from app.core.fulltext import SEARCHED, all_of, compared_with_models, terms_parameter
from app.core.migrations import alembic_config, current_revision, head_revision, upgrade_to_head
from app.requests.models import compared_object
from bench.seed import seed
from tests.databases import fresh_postgres_database, fresh_sqlite_database, postgres_admin_url

# SQLAlchemy says so each time it reads SQLite's indexes on expressions (it skips them).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index"
)


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": compared_with_models,
                "include_object": compared_object,
            },
        )
        differences = compare_metadata(context, SQLModel.metadata)

    assert differences == []
    assert current_revision(engine) == head_revision()


def test_constraints_have_conventional_names(engine):
    inspector = inspect(engine)

    foreign_keys = {fk["name"] for fk in inspector.get_foreign_keys("request")}
    uniques = {uq["name"] for uq in inspector.get_unique_constraints("request")}

    assert foreign_keys == {
        "fk_request_stakeholder_id_stakeholder",
        "fk_request_need_id_need",
        "fk_request_created_by_user_account",
        "fk_request_created_by_service_token_id_service_token",
    }
    assert "uq_request_source_system_external_id" in uniques


def fresh_database(backend, tmp_path):
    """An empty database of that engine, dropped afterwards: a context giving its URL."""
    if backend == "sqlite":
        return fresh_sqlite_database(tmp_path)
    return fresh_postgres_database(postgres_admin_url())


def test_downgrade_to_base_and_upgrade_again(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(Settings(database_url=url))
        config = alembic_config(engine)
        try:
            command.upgrade(config, "head")
            command.downgrade(config, "base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            command.upgrade(config, "head")
            assert {"stakeholder", "request", "need", "roadmap_item"} <= set(
                inspect(engine).get_table_names()
            )
        finally:
            engine.dispose()


def test_sqlite_tables_never_reuse_an_id_where_the_models_say_so(tmp_path):
    # PostgreSQL's sequences never reuse an id; SQLite's rowids do unless AUTOINCREMENT.
    promised = {
        t.name for t in SQLModel.metadata.sorted_tables if t.kwargs.get("sqlite_autoincrement")
    }
    with fresh_sqlite_database(tmp_path) as url:
        engine = make_engine(Settings(database_url=url))
        try:
            upgrade_to_head(engine)
            with engine.connect() as connection:
                listed = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master").all()
                schema = dict(listed)
        finally:
            engine.dispose()

    assert "request" in promised
    assert {name for name in promised if "AUTOINCREMENT" not in schema[name]} == set()


def test_rebuilding_the_request_table_keeps_its_rows_links_search_and_ids(tmp_path):
    with fresh_sqlite_database(tmp_path) as url:
        engine = make_engine(Settings(database_url=url))
        config = alembic_config(engine)
        try:
            command.upgrade(config, "b5e08d2c4f17")  # the table had lost its AUTOINCREMENT
            seeded = seed(engine, requests=200)
            with engine.begin() as connection:
                # The audit log remembers a request created and deleted before the upgrade.
                newest = connection.exec_driver_sql("SELECT max(id) FROM request").scalar_one()
                connection.exec_driver_sql(
                    "INSERT INTO audit_entry (occurred_at, actor_type, entity, entity_id, action)"
                    f" VALUES ('2026-11-01 00:00:00', 'system', 'request', {newest + 5}, 'delete')"
                )
                before = _request_snapshot(connection, seeded.search_word)

            command.upgrade(config, "head")

            with engine.begin() as connection:
                assert _request_snapshot(connection, seeded.search_word) == before
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                connection.exec_driver_sql(
                    "INSERT INTO request (created_at, updated_at, version, title, description,"
                    " stakeholder_id, channel, urgency) SELECT created_at, updated_at, 1,"
                    " 'After the upgrade', '', stakeholder_id, channel, urgency FROM request"
                    " LIMIT 1"
                )
                new_id = connection.exec_driver_sql("SELECT max(id) FROM request").scalar_one()
                found = connection.exec_driver_sql(
                    "SELECT rowid FROM request_search WHERE request_search MATCH 'upgrade'"
                ).all()
            assert new_id == newest + 6
            assert found == [(new_id,)]
        finally:
            engine.dispose()


def _request_snapshot(connection: Connection, word: str) -> tuple[object, ...]:
    """What the rebuild must keep: the requests, the decisions pointing at them, search."""
    return (
        connection.exec_driver_sql("SELECT * FROM request ORDER BY id").all(),
        connection.exec_driver_sql("SELECT id, request_id FROM decision ORDER BY id").all(),
        connection.exec_driver_sql(
            "SELECT rowid FROM request_search WHERE request_search MATCH ? ORDER BY rowid",
            (word,),
        ).all(),
    )


def test_after_migrating_the_app_s_connections_enforce_foreign_keys(tmp_path):
    with fresh_sqlite_database(tmp_path) as url:
        engine = make_engine(Settings(database_url=url))
        try:
            upgrade_to_head(engine)  # every migration due
            upgrade_to_head(engine)  # none due: as every later start
            with engine.connect() as connection:  # the migrations' own, back in the pool
                enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
                orphan = "INSERT INTO webhook_cursor (webhook_id, last_event_id) VALUES (999, 0)"
                with pytest.raises(IntegrityError):
                    connection.exec_driver_sql(orphan)
            assert enforced == 1
        finally:
            engine.dispose()


@pytest.mark.parametrize("table", ["request", "need", "roadmap_item", "stakeholder"])
def test_english_search_indexes_every_row_already_there(backend, tmp_path, table):
    """The migration to stemmed English search makes the indexes again from the rows: a
    row written before it is found after it, by a word it holds in another form."""
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(Settings(database_url=url))
        config = alembic_config(engine)
        try:
            command.upgrade(config, "9a4c2e7b1d58")  # the last revision before it
            seed(engine, requests=200)
            word, written_as = {
                "request": ("exports", "export"),
                "need": ("needs", "need"),
                "roadmap_item": ("items", "item"),
                "stakeholder": ("stakeholders", "stakeholder"),
            }[table]
            searched, rows = SEARCHED[table], SQLModel.metadata.tables[table]
            holding = or_(*(func.lower(rows.c[c]).contains(written_as) for c in searched.columns))
            with engine.connect() as connection:
                expected = connection.execute(
                    select(func.count()).select_from(rows).where(holding)
                ).scalar_one()

            command.upgrade(config, "head")

            terms = all_of([word], dialect=backend)
            found = (
                select(func.count())
                .select_from(searched.source(rows, dialect=backend))
                .where(searched.matches(terms_parameter(), dialect=backend))
            )
            with engine.connect() as connection:
                assert expected > 0
                assert connection.execute(found, {"search_terms": terms}).scalar_one() == expected
        finally:
            engine.dispose()
