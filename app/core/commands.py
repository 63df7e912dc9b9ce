"""What every `reqtrack` command shares: a migrated database, and failing clearly."""

import typer
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from app.core.config import get_settings
from app.core.db import make_engine
from app.core.errors import without_library_prefix
from app.core.migrations import upgrade_to_head


def migrated_engine() -> Engine:
    """The configured database, migrated to the latest schema."""
    engine = make_engine(get_settings())
    upgrade_to_head(engine)
    return engine


def fail(message: str) -> typer.Exit:
    """Say what went wrong on stderr; raise the result to exit with status 1."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def counted(number: int, noun: str) -> str:
    """ "1 request", "2 requests": a count as a sentence says it."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def clause(sentence: str) -> str:
    """A sentence from the API or a library as a command goes on with it, lowercase and
    with no full stop: "A user with e-mail x already exists." -> "a user with ...".
    Each part after a colon too; a word in capitals (SSO, IdP) is left as it is."""
    parts = sentence.strip().removesuffix(".").split(": ")
    return ": ".join(_lowercase_first_word(without_library_prefix(part)) for part in parts)


def _lowercase_first_word(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if first[1:] == first[1:].lower() else text


def one_line(exc: BaseException) -> str:
    """What went wrong, in a line an operator can act on (no traceback)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig  # the driver's words, without SQLAlchemy's class name and link
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}"
    if isinstance(exc, ValidationError):  # the settings, most likely: each problem, briefly
        problems = "; ".join(_problem(error) for error in exc.errors())
        return f"invalid {exc.title.lower()}: {problems}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _problem(error: ErrorDetails) -> str:
    """One problem of a ValidationError: where, and what (never the value given)."""
    where = ".".join(str(part) for part in error["loc"])
    what = without_library_prefix(error["msg"])
    return f"{where}: {what}" if where else what
