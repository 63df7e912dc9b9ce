"""List filters that compare a column with a query parameter of the same name."""

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel.sql.expression import SelectOfScalar

Row = TypeVar("Row")


def where_equal(
    statement: SelectOfScalar[Row], model: Any, filters: BaseModel, *fields: str
) -> SelectOfScalar[Row]:
    """Add `model.<field> == filters.<field>` for each of the fields the client gave."""
    for field in fields:
        value = getattr(filters, field)
        if value is not None:
            statement = statement.where(getattr(model, field) == value)
    return statement
