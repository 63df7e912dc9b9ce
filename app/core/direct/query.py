"""A select (or an insert) compiled once per dialect and driver: its SQL, its parameters'
bind processors and its columns' result processors, and a bulk insert's COPY form."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import asyncpg
from sqlalchemy import JSON, DateTime, Dialect, Table
from sqlalchemy.sql import Insert, Select
from sqlalchemy.types import TypeEngine

from app.core.db import json_text

Row = dict[str, Any]
AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Compiled:
    sql: str
    # Parameters: their names (in order, for positional styles), fixed values (constants
    # of the statement) and the types' bind processors, as SQLAlchemy would apply them.
    parameter_names: tuple[str, ...]
    positional: bool
    fixed: Mapping[str, Any]
    binders: tuple[Callable[[Any], Any] | None, ...]
    columns: tuple[str, ...]
    # The columns whose values need processing: (index, name, the type's result processor).
    processors: tuple[tuple[int, str, Callable[[Any], Any]], ...]
    copy_sql: str | None  # a bulk insert's rows as a COPY (PostgreSQL; see DirectQuery.bulk)
    copy_binders: tuple[Callable[[Any], Any] | None, ...]  # the binders, for COPY

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        bound = self.values_in_order(values)
        return (
            tuple(bound) if self.positional else dict(zip(self.parameter_names, bound, strict=True))
        )

    def values_in_order(self, values: Mapping[str, Any], *, for_copy: bool = False) -> list[Any]:
        """The parameters' values, bound, in the order of `parameter_names`."""
        given = {**self.fixed, **values} if self.fixed else values
        binders = self.copy_binders if for_copy else self.binders
        return [
            value if bind is None else bind(value)
            for value, bind in zip(
                map(given.__getitem__, self.parameter_names), binders, strict=True
            )
        ]

    def row(self, values: tuple[Any, ...] | asyncpg.Record) -> Row:
        row = dict(zip(self.columns, values, strict=True))
        for index, name, process in self.processors:
            value = values[index]
            if value is not None:
                row[name] = process(value)
        return row


@dataclass
class DirectQuery:
    """A select (or an insert) run through the driver: compiled once per driver, then only
    executed."""

    statement: AnySelect | Insert
    # A plain INSERT of one bound value per column, reading nothing back (`insert_of`):
    # a batch of rows may go as multi-row INSERTs (SQLite) or a COPY (PostgreSQL).
    bulk: bool = False
    # A text search: it may read every match to rank them, so on SQLite it waits for a
    # thread of its own, and a crowd of searches never holds up the plain lists.
    search: bool = False
    _compiled: dict[tuple[str, str], Compiled] = field(default_factory=dict, init=False, repr=False)

    def compiled_for(self, dialect: Dialect) -> Compiled:
        # PostgreSQL is read through asyncpg and written through psycopg: two paramstyles.
        compiled = self._compiled.get((dialect.name, dialect.driver))
        if compiled is None:
            compiled = self._compiled[dialect.name, dialect.driver] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> Compiled:
        statement = self.statement
        columns = statement.exported_columns  # what a select or a RETURNING gives
        if isinstance(statement, Insert) and not columns:
            statement = statement.inline()  # not even the id back (PostgreSQL would)
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or compiled.binds)
        types = [compiled.binds[name].type.dialect_impl(dialect) for name in names]
        binders = tuple(type_.bind_processor(dialect) for type_ in types)
        return Compiled(
            sql=str(compiled),
            parameter_names=names,
            positional=compiled.positiontup is not None,
            fixed={
                name: bind.effective_value
                for name, bind in compiled.binds.items()
                if bind.effective_value is not None
            },
            binders=binders,
            columns=tuple(str(column.key) for column in columns),
            processors=_result_processors(columns, dialect),
            copy_sql=_copy_sql(statement, names, dialect) if self.bulk else None,
            copy_binders=tuple(
                _copy_binder(type_, bind) for type_, bind in zip(types, binders, strict=True)
            ),
        )


def _result_processors(
    columns: Any, dialect: Dialect
) -> tuple[tuple[int, str, Callable[[Any], Any]], ...]:
    processors = (
        (index, str(column.key), column.type.dialect_impl(dialect).result_processor(dialect, None))
        for index, column in enumerate(columns)
    )
    return tuple((index, name, process) for index, name, process in processors if process)


def _copy_binder(
    type_: TypeEngine[Any], bind: Callable[[Any], Any] | None
) -> Callable[[Any], Any] | None:
    """A column's binder for COPY: what takes psycopg long to write, written as text where
    the rows are bound (see SessionDriver.bound)."""
    if type_._type_affinity is DateTime:
        return _last_as_text(bind)
    if type_._type_affinity is JSON and bind is not None:
        return partial(_json_as_text, bind)
    return bind


def _json_as_text(bind: Callable[[Any], Any], value: Any) -> str | None:
    """JSON as the engine writes it (json_text), serialized now, not when sent."""
    wrapped = bind(value)  # psycopg's Json around the value, or None for SQL NULL
    return None if wrapped is None else json_text(wrapped.obj)


def _last_as_text(bind: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """A timestamp column's binder for COPY: the value as ISO text, the last one kept.
    A batch's rows share their timestamps (four a row of an import), and psycopg's own
    writing of one costs enough to show in the import's speed."""
    last: tuple[Any, Any] = (None, None)

    def as_text(value: Any) -> Any:
        nonlocal last
        seen, text = last  # one tuple, read and replaced whole: safe across threads
        if value is not seen:
            bound = value if bind is None else bind(value)
            text = None if bound is None else bound.isoformat()
            last = (value, text)
        return text

    return as_text


def _copy_sql(
    statement: AnySelect | Insert, names: tuple[str, ...], dialect: Dialect
) -> str | None:
    """COPY of the bound columns, in the order the parameters come (psycopg only)."""
    if dialect.driver != "psycopg":
        return None
    assert isinstance(statement, Insert)
    quote, table = dialect.identifier_preparer, statement.table
    assert isinstance(table, Table)
    listed = ", ".join(quote.quote(table.c[name].name) for name in names)
    return f"COPY {quote.format_table(table)} ({listed}) FROM STDIN"
