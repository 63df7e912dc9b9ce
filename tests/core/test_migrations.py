"""Alembic owns the schema: migrations build exactly what the models describe."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from app.core.config import Settings
from app.core.db import make_engine
from app.core.migrations import alembic_config, current_revision, head_revision
from app.requests.search import compared_with_models
from tests.databases import fresh_postgres_database, fresh_sqlite_database, postgres_admin_url


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": compared_with_models}
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


def test_downgrade_to_base_and_upgrade_again(backend, tmp_path):
    if backend == "sqlite":
        database = fresh_sqlite_database(tmp_path)
    else:
        database = fresh_postgres_database(postgres_admin_url())
    with database as url:
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
