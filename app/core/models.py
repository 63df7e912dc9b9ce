"""Columns every stored resource has (id, timestamps, an optimistic-lock version), and
the base of the hot read schemas."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Self

import pydantic
from pydantic import BaseModel, ConfigDict
from sqlalchemy import BigInteger, Column
from sqlalchemy.orm import declared_attr
from sqlalchemy.sql import TableClause
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table
from sqlmodel import Field, SQLModel

from app.core.types import BigIntPK, UTCDateTime, utcnow

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
# Set here, before any table is defined: names are given as constraints attach.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Body(SQLModel):
    """A request body: a field it does not name is refused (422, naming it), never
    ignored, so a misspelt `urgancy` cannot silently become the default urgency."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


# An id, once given, always means the same resource (SQLite would reuse the highest).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class ResourceTable(SQLModel):
    id: int | None = Field(
        default=None, sa_type=BigIntPK, primary_key=True, sa_column_kwargs={"autoincrement": True}
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # SQLAlchemy bumps it on every UPDATE and adds "AND version = ?" to it and DELETE.
    version: int = Field(default=1, sa_type=BigInteger, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        version_column: Column[int] = cls.__table__.c.version  # type: ignore[attr-defined]
        return {"version_id_col": version_column}


# The fields every stored resource answers with, described once.
ServerId = Annotated[
    int, pydantic.Field(description="Assigned by the server on creation; never reused.")
]
CreatedAt = Annotated[
    datetime, pydantic.Field(description="When it was created (UTC, ISO 8601); set by the server.")
]
UpdatedAt = Annotated[
    datetime,
    pydantic.Field(description="When it last changed (UTC, ISO 8601); set by the server."),
]
Version = Annotated[
    int,
    pydantic.Field(
        description='Goes up with every change; the ETag is W/"<version>": send that in '
        "If-Match, and the write is refused (412) if someone changed it since."
    ),
]


def described_like(*models: type[BaseModel]) -> Callable[[dict[str, Any]], None]:
    """A json_schema_extra giving each property without a description the one a field of
    the same name has in `models`: an Update or Read schema that repeats its entity's
    fields (all optional, or as stored) is described where the entity is."""

    def describe(schema: dict[str, Any]) -> None:
        for name, prop in schema.get("properties", {}).items():
            described = (m.model_fields[name] for m in models if name in m.model_fields)
            description = next((f.description for f in described if f.description), None)
            if description and "description" not in prop:
                prop["description"] = description

    return describe


class ReadModel(BaseModel):
    """A resource as the API answers it, on the hot paths (a list builds 50 a page).
    Plain pydantic, not SQLModel: SQLModel's hooks for table models run on every instance
    it builds, nested ones too, and made validating a request with its decision far slower."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, obj: Any, **derived: Any) -> Self:
        """`obj` (a row's object) as this model, with the fields it does not store."""
        stored = {name: getattr(obj, name) for name in cls.model_fields if name not in derived}
        return cls.model_validate(stored | derived)


def apply_changes(resource: ResourceTable, changes: dict[str, Any]) -> bool:
    """Set the given fields; bump updated_at only when something really changed."""
    changed = False
    for field, value in changes.items():
        if getattr(resource, field) != value:
            setattr(resource, field, value)
            changed = True
    if changed:
        resource.updated_at = utcnow()
    return changed


def referenced_table(column: Column[Any]) -> TableClause:
    """The table a foreign-key column points at, as its name and key column: to look a
    referenced row up without importing the package that defines it (one above)."""
    (key,) = column.foreign_keys
    table_name, key_name = key.target_fullname.split(".")
    return sql_table(table_name, sql_column(key_name))
