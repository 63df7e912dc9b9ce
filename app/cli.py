"""The `reqtrack` command line."""

from typing import Annotated

import typer
import uvicorn

from app.core.config import get_settings
from app.core.db import make_engine
from app.core.migrations import current_revision, head_revision, upgrade_to_head

cli = typer.Typer(help="reqtrack: stakeholder requirements tracker.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
) -> None:
    """Serve the API (migrating the database first); docs at /docs."""
    settings = get_settings()
    engine = make_engine(settings)
    upgrade_to_head(engine)
    engine.dispose()
    typer.echo(f"reqtrack on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run("app.main:app", host=host, port=port, workers=workers, log_level="info")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    engine = make_engine(get_settings())
    upgrade_to_head(engine)
    typer.echo(f"database at {current_revision(engine)}")


@db_cli.command("current")
def db_current() -> None:
    """Show the database's schema revision and the latest one."""
    engine = make_engine(get_settings())
    current, head = current_revision(engine), head_revision()
    typer.echo(f"current: {current or 'empty'}\nhead:    {head}")
    if current != head:
        raise typer.Exit(code=1)


def main() -> None:
    cli()
