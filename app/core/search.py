"""Plain substring search shared by the lists' `q` parameter."""

from typing import Any

from sqlalchemy import ColumnElement, String, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.core.db import UNICODE_LOWER


class unicode_lower(FunctionElement[str]):  # noqa: N801  (reads as the SQL function it is)
    """lower() that folds every letter, on SQLite too (its own folds ASCII only)."""

    type = String()
    inherit_cache = True


@compiles(unicode_lower)
def _lower(element: unicode_lower, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "sqlite")
def _sqlite_lower(element: unicode_lower, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{UNICODE_LOWER}({compiler.process(element.clauses, **kw)})"


def contains_text(query: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of the columns; % and _ match literally."""
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(unicode_lower(column).like(pattern, escape="\\") for column in columns))
