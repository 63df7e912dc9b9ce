"""Column types and validated field types shared by every domain."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, Strict
from sqlalchemy import BigInteger, DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator

MAX_ID = 2**63 - 1
CENTS = Decimal("0.01")

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Amounts stored as integer cents so sums are exact on SQLite too."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) / CENTS).to_integral_value())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) * CENTS).quantize(CENTS)


def _reject_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it everywhere for one behaviour.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _reject_undecodable(value: str) -> str:
    # Starlette turns bytes that are not UTF-8 into U+FFFD: two different ids would collide.
    if "\ufffd" in value:
        raise ValueError("must be UTF-8 (percent-encoded)")
    return value


def _reject_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    # Lax parsing would read 0 as 1970-01-01 and cut a timestamp down to its day.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


NoNul = AfterValidator(_reject_nul)
ValidUtf8 = AfterValidator(_reject_undecodable)
# Required labels: trimmed, and whitespace alone is refused.
Trimmed = AfterValidator(_reject_blank)
# For PATCH bodies: a field that is optional to send but cannot be cleared.
NotNull = AfterValidator(_reject_null)

IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]

# Strict: JSON true or "5" is not an id.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
# Path and query ids arrive as text; the bound keeps them inside a 64-bit column.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


# A computed total: no input bounds (a sum may exceed any single amount).
MoneyTotal = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

# Money in and out of the API: a non-negative amount with at most two decimals,
# written to JSON as a number (exact for every value this range allows).
MoneyAmount = Annotated[
    Decimal,
    Field(ge=0, le=Decimal("1000000000000"), max_digits=15, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]
# An id in a query-parameter model (text, so not strict).
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
# A text filter in a query-parameter model.
FilterText = Annotated[str, Field(max_length=500), NoNul]
