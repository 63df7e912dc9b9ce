"""`reqtrack import requests FILE` and `reqtrack export requests|decisions`: the API's
import and exports from the command line, with a progress bar on long work."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.commands import counted, fail, migrated_engine
from app.core.db import open_session
from app.decisions.service import DecisionFieldFilters
from app.requests.service import RequestFieldFilters
from app.transfer import exporter, importer
from app.transfer.models import ImportFormat, InvalidImport

import_cli = typer.Typer(help="Bulk import, as POST /api/v1/imports/requests.")
# What the user reads (progress, problems) goes to stderr: stdout may be the export itself.
console = Console(stderr=True)
SHOWN_PROBLEMS = 20
SUFFIX_FORMATS = {".csv": ImportFormat.csv, ".jsonl": ImportFormat.json_lines}
SUFFIX_FORMATS[".ndjson"] = ImportFormat.json_lines


class _CountedFile:
    """The file as the import reads it, advancing the progress bar by the bytes read."""

    def __init__(self, file: IO[bytes], advance: Callable[[int], None]) -> None:
        self._file = file
        self._advance = advance

    def readline(self, size: int = -1, /) -> bytes:
        line = self._file.readline(size)
        self._advance(len(line))
        return line


@import_cli.command("requests")
def import_requests(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    file_format: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="csv or json_lines (default: from the file's suffix)."),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="E-mail of the user the requests are created by (an admin)."),
    ] = None,
) -> None:
    """Create a request from every row of FILE (CSV with a header, or JSON lines), or none.

    The rows are checked as POST /requests checks them; any bad row stops the import, lists
    the problems by line and writes nothing.
    """
    chosen = file_format or SUFFIX_FORMATS.get(file.suffix.lower())
    if chosen is None:
        raise fail(f"cannot tell the format of {file.name}: give --format csv|json_lines")
    engine = migrated_engine()
    with open_session(engine, write=True) as session, file.open("rb") as raw, _bar() as bar:
        creator = auth_service.command_principal(session=session, email=as_user)
        if creator is None:
            raise fail(
                f"no active user {as_user}" if as_user else "no active admin: give --as EMAIL"
            )
        task = bar.add_task(f"importing {file.name}", total=file.stat().st_size)
        source = _CountedFile(raw, lambda read: bar.advance(task, read))
        try:
            result = importer.import_requests(
                session=session, source=source, file_format=chosen, creator=creator
            )
        except InvalidImport as exc:
            bar.stop()
            _show_problems(exc)
            raise typer.Exit(code=1) from None
        session.commit()
    engine.dispose()
    console.print(
        f"imported {counted(result.created, 'request')}"
        + (f" (ids {result.first_id} to {result.last_id})" if result.created else ""),
        style="green",
    )


class Exported(StrEnum):
    requests = "requests"
    decisions = "decisions"


# Each export's next batch of CSV, as GET /exports/<what>.csv reads it, with no filter.
_BATCHES: dict[Exported, Callable[[Session, str | None], exporter.Batch]] = {
    Exported.requests: lambda session, cursor: exporter.request_batch(
        session=session, filters=RequestFieldFilters(), cursor=cursor
    ),
    Exported.decisions: lambda session, cursor: exporter.decision_batch(
        session=session, filters=DecisionFieldFilters(), cursor=cursor
    ),
}


def export(
    what: Annotated[Exported, typer.Argument(help="requests or decisions.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV file to write (default: stdout).")
    ] = None,
) -> None:
    """Every request or decision, newest first, as CSV (as GET /api/v1/exports/*.csv)."""
    read_batch = _BATCHES[what]
    engine = migrated_engine()
    with _target(output) as out, open_session(engine, write=False) as session, _bar() as bar:
        task = bar.add_task(f"exporting {what}", total=None)
        cursor: str | None = None
        written = 0
        while True:
            text, cursor = read_batch(session, cursor)
            out.write(text)
            written += len(text.encode())
            bar.update(task, completed=written)
            if cursor is None:
                break
    engine.dispose()
    console.print(f"exported {what}: {written} bytes of CSV", style="green")


@contextmanager
def _target(output: Path | None) -> Iterator[IO[str]]:
    if output is None:
        yield typer.get_text_stream("stdout")
        return
    with output.open("w", newline="", encoding="utf-8") as file:
        yield file


def _bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _show_problems(exc: InvalidImport) -> None:
    console.print(f"nothing imported: {exc.detail}", style="red")
    errors = exc.errors or []
    for error in errors[:SHOWN_PROBLEMS]:
        where = [str(part) for part in error["loc"][2:]]
        console.print(f"  line {' '.join(where)}: {error['msg']}")
    if len(errors) > SHOWN_PROBLEMS:
        console.print(f"  ... and {len(errors) - SHOWN_PROBLEMS} more (the API lists them all)")
