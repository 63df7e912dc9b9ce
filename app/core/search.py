"""Plain substring search shared by the lists' `q` parameter."""

from typing import Any

from sqlalchemy import ColumnElement, or_


def contains_text(query: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of the columns; % and _ match literally."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))
