"""What a write changed, row by row: the one description the audit log and the change
feed are both made from, whether the session's flush or the driver wrote the rows."""

from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import inspect
from sqlalchemy.orm import Session

Verb = Literal["created", "updated", "deleted"]
# Secrets never leave their table: not in the audit log, not in events, not even hashed.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "secret"})
Columns = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One row written: its table and id, what happened to it, and its columns (secrets
    left out) before and after: no `before` for a row created, no `after` for one deleted."""

    table: str
    row_id: int
    verb: Verb
    before: Columns | None
    after: Columns | None

    @classmethod
    def created(cls, table: str, row: Mapping[str, Any]) -> "Change":
        """A row inserted through the driver, every column in hand (its id included)."""
        after = {name: value for name, value in row.items() if name not in SECRET_COLUMNS}
        return cls(table, row["id"], "created", None, after)


def flushed_changes(session: Session, tables: Container[str]) -> Iterator[Change]:
    """Each row of these tables (each with an `id`) that the flush inserted, really
    changed or deleted (call in after_flush)."""
    for obj in session.new:
        if _of(obj, tables):
            yield _change_of(obj, "created")
    for obj in session.dirty:
        if _of(obj, tables) and session.is_modified(obj):
            yield _change_of(obj, "updated")
    for obj in session.deleted:
        if _of(obj, tables):
            yield _change_of(obj, "deleted")


def _of(obj: Any, tables: Container[str]) -> bool:
    return getattr(obj, "__tablename__", None) in tables


def _change_of(obj: Any, verb: Verb) -> Change:
    state = inspect(obj)
    current, previous = {}, {}
    for column in state.mapper.column_attrs:
        name = column.key
        if name in SECRET_COLUMNS:
            continue
        history = state.attrs[name].history
        current[name] = value = getattr(obj, name)
        previous[name] = history.deleted[0] if history.deleted else value
    version = state.mapper.version_id_col
    if verb == "updated" and version is not None:
        # SQLAlchemy bumps the version itself and keeps no history of it: the one the
        # row had before this update is one less.
        key = state.mapper.get_property_by_column(version).key
        previous[key] = current[key] - 1
    table = getattr(obj, "__tablename__", "")
    before = None if verb == "created" else previous
    after = None if verb == "deleted" else current
    return Change(table, obj.id, verb, before, after)
