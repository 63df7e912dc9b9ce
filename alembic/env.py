"""Alembic environment: one engine from the app's settings, SQLite batch mode, a PG lock."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import app.db_models  # noqa: F401  (registers every table on the metadata)
from app.core.config import get_settings
from app.core.db import make_engine
from app.requests.search import compared_with_models

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
# Any number of server processes may start at once; one migrates, the others wait.
MIGRATION_LOCK_ID = 0x72657174  # "reqt"


def run_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite,
            compare_type=True,
            include_name=compared_with_models,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=get_settings().database_url, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    given: Engine | None = config.attributes.get("engine")
    engine = given or make_engine(get_settings())
    try:
        run_migrations(engine)
    finally:
        if given is None:
            engine.dispose()
