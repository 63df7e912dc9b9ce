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
from app.core.commands import clause, counted, fail, migrated_engine
from app.core.db import open_session
from app.decisions.service import DecisionFieldFilters
from app.requests.service import RequestFieldFilters
from app.transfer import exporter, importer
from app.transfer.models import ImportFormat, InvalidImport

import_cli = typer.Typer(help="Bulk import, as POST /api/v1/imports/requests.")
# What the user reads (progress, problems) goes to stderr: stdout may be the export itself.
# Unwrapped, a message is one line whatever the terminal's width; and what a file holds
# (a column's name in a problem) is never read as markup.
console = Console(stderr=True, soft_wrap=True, markup=False)
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
    with open_session(engine, write=True) as session, file.open("rb") as raw:
        creator = auth_service.command_principal(session=session, email=as_user)
        if creator is None:
            raise fail(
                f"no active user {as_user}" if as_user else "no active admin: give --as EMAIL"
            )
        with _bar() as bar:
            task = bar.add_task(f"importing {file.name}", total=file.stat().st_size)
            source = _CountedFile(raw, lambda read: bar.advance(task, read))
            try:
                result = importer.import_requests(
                    session=session, source=source, file_format=chosen, creator=creator
                )
            except InvalidImport as exc:
                bar.stop()
                _show_problems(file, exc)
                raise typer.Exit(code=1) from None
        session.commit()
    engine.dispose()
    ids = (
        f"id {result.first_id}"
        if result.first_id == result.last_id
        else f"ids {result.first_id} to {result.last_id}"
    )
    console.print(f"imported {counted(result.created, 'request')} ({ids})", style="green")


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
    console.print(f"exported {what}: {counted(written, 'byte')} of CSV", style="green")


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
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # elsewhere it would only leave blank lines
    )


# What the API's detail says for its clients alone: where its `errors` are, and that
# nothing was imported, which the command says first.
_FOR_API_CLIENTS = (
    " listed in errors",
    "; see errors",
    " Nothing was imported.",
    ": nothing was imported.",
)


def _show_problems(file: Path, exc: InvalidImport) -> None:
    """Why, in a line, then each problem by line (one that is about no line is the why)."""
    why = exc.detail
    for words in _FOR_API_CLIENTS:
        why = why.replace(words, "")
    console.print(f"nothing imported from {file.name}: {clause(why)}", style="red")
    by_line = [error for error in exc.errors or [] if len(error["loc"]) > 2]
    for error in by_line[:SHOWN_PROBLEMS]:
        line, *field = error["loc"][2:]
        where = f"line {line}" + (f", {'.'.join(map(str, field))}" if field else "")
        console.print(f"  {where}: {clause(error['msg'])}")
    if len(by_line) > SHOWN_PROBLEMS:
        console.print(f"  ... and {counted(len(by_line) - SHOWN_PROBLEMS, 'more problem')}")
