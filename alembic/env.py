"""Alembic environment: one engine from the app's settings, SQLite batch mode, a PG lock."""

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, Engine, text
from sqlmodel import SQLModel

import app.db_models  # noqa: F401  (registers every table on the metadata)
from app.core.config import get_settings
from app.core.db import make_engine
from app.core.fulltext import compared_with_models
from app.requests.models import compared_object

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
# Any number of server processes may start at once; one migrates, the others wait.
MIGRATION_LOCK_ID = 0x72657174  # "reqt"


def run_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        with foreign_keys_off(connection) if is_sqlite else nullcontext():
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=is_sqlite,
                compare_type=True,
                include_name=compared_with_models,
                include_object=compared_object,
            )
            with context.begin_transaction():
                if not is_sqlite:
                    connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
                context.run_migrations()


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite's own recipe for a schema change: a batch migration rebuilds a table by
    dropping it, which with foreign keys on deletes (or refuses to delete) the rows that
    point at it. The pragma does nothing inside a transaction, so it is set while none is
    open, both ways; a migration that rebuilds a table checks the keys before it commits."""
    driver = connection.connection.dbapi_connection
    if driver is None:
        raise RuntimeError("no database connection to migrate")
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        # Reading the current revision began a transaction that no migration committed
        # when none was due; this connection goes back to the app's pool afterwards.
        connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")
    if driver.execute("PRAGMA foreign_keys").fetchone() != (1,):
        raise RuntimeError("foreign keys could not be turned on again after migrating")


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
