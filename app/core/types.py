"""Column types and validated field types shared by every domain."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from fastapi import Path
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    Strict,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema
from sqlalchemy import BigInteger, DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator

# JSON-safe: every client (JavaScript included) reads ids exactly; far below BIGINT.
MAX_ID = 2**53 - 1
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


def in_cents(amount: Any) -> int:
    """An amount of money as its whole number of cents, as it is stored."""
    return int((Decimal(amount) / CENTS).to_integral_value())


class Money(TypeDecorator[Decimal]):
    """Amounts stored as integer cents so sums are exact on SQLite too."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else in_cents(value)

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


def _reject_slash(value: str) -> str:
    # A name that is one segment of a path (/requests/external/{source_system}/...):
    # with a slash, it could never be addressed there.
    if "/" in value:
        raise ValueError("must not contain '/': it is one segment of a URL path")
    return value


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


def _email_address(value: str) -> str:
    # admin@localhost is the embedded default; otherwise a well-formed address, which
    # may be on an internal domain (corp.internal). Stored lower-case: one spelling.
    local, _, domain = value.rpartition("@")
    if domain.lower() == "localhost" and local and " " not in local:
        return value.lower()
    try:
        address = validate_email(value, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid e-mail address: {exc}") from exc
    return address.normalized.lower()


class _StatedCheck:
    """A validator whose rule the JSON schema states too (`state` edits the schema)."""

    def __init__(self, check: Any, state: Callable[[JsonSchemaValue], None]) -> None:
        self.check, self.state = check, state

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        self.state(json_schema)
        return json_schema


def _also(rule: dict[str, Any]) -> Callable[[JsonSchemaValue], None]:
    return lambda json_schema: json_schema.setdefault("allOf", []).append(rule)


def _also_in_words(description: str) -> Callable[[JsonSchemaValue], None]:
    # A rule no regex states the same way in every client's dialect (ECMAScript, Go's
    # RE2, ...): said in words, beside the field's own description.
    return _also({"description": description})


def _without_null(json_schema: JsonSchemaValue) -> None:
    branches = [b for b in json_schema.get("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1:
        json_schema.pop("anyOf")
        json_schema.update(branches[0])
    elif branches:
        json_schema["anyOf"] = branches


# \x00 is NUL in every regex dialect; \u0000 is not in Go's.
NoNul = _StatedCheck(
    _reject_nul, _also({"not": {"pattern": r"\x00"}, "description": "NUL characters are refused."})
)
NoSlash = _StatedCheck(
    _reject_slash,
    _also({"not": {"pattern": "/"}, "description": "Must not contain '/'."}),
)
ValidUtf8 = _StatedCheck(
    _reject_undecodable,
    _also_in_words(
        "Percent-encoded UTF-8; U+FFFD (what bytes that are not UTF-8 become) is refused."
    ),
)
EmailAddress = Annotated[
    str,
    Field(min_length=3, max_length=320, json_schema_extra={"format": "email"}),
    NoNul,
    AfterValidator(_email_address),
]
# Required labels: trimmed, and whitespace alone is refused.
Trimmed = _StatedCheck(
    _reject_blank,
    _also_in_words(
        "Must contain a character other than whitespace; whitespace around the text is trimmed."
    ),
)


# For PATCH bodies: a field that is optional to send but cannot be cleared (and the
# schema has no null branch, so clients and fuzzers know null is refused).
NotNull = _StatedCheck(_reject_null, _without_null)

IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


# Money as text, for clients that keep amounts exact: up to 1e12, at most two decimals.
MONEY_TEXT = r"^(1000000000000(\.00?)?|[0-9]{1,12}(\.[0-9]{1,2})?)$"


def _money_input(value: Any) -> Any:
    # A JSON number, or text exactly as the schema shows it ("1250.50", not "1e3").
    if isinstance(value, bool) or (isinstance(value, str) and not re.match(MONEY_TEXT, value)):
        raise ValueError("must be a number, or text such as 1250.50")
    return value


def _integral_number(value: Any) -> Any:
    # JSON has one number type: 7.0 is the integer 7 (JSON Schema agrees), 7.5 is not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Strict: JSON true or "5" is not an id.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), BeforeValidator(_integral_number)]


def _decimal_digits(value: Any) -> Any:
    # int() would take " 7", "+7", "7_0" or "7\r"; an id in a path is written one way.
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise PydanticCustomError("int_parsing", "must be an id: decimal digits only")
    return value


# Path and query ids arrive as text; the bound keeps them inside a 64-bit column.
PathId = Annotated[
    int,
    Path(ge=1, le=MAX_ID, description="The id the server assigned: decimal digits only."),
    BeforeValidator(_decimal_digits),
]


# A computed total: no input bounds (a sum may exceed any single amount).
MoneyTotal = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

# Money in and out of the API: a non-negative amount with at most two decimals,
# written to JSON as a number (exact for every value this range allows).
MAX_MONEY = Decimal("1000000000000")
MoneyAmount = Annotated[
    Decimal,
    Field(ge=0, le=MAX_MONEY, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
    BeforeValidator(_money_input),
    # For numbers, "at most two decimals" is left out: multipleOf 0.01 misjudges binary
    # floats (0.07); the text form states it exactly.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1_000_000_000_000},
                {"type": "string", "pattern": MONEY_TEXT},
            ]
        }
    ),
]
# An id in a query-parameter model (text, so not strict).
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
# A text filter in a query-parameter model.
FilterText = Annotated[str, Field(max_length=500), NoNul]


def _in_utc(value: datetime) -> datetime:
    # A time without an offset is read as UTC, as every time this API answers with.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before the first year
        message = "must be within years 1 to 9999 in UTC"
        raise PydanticCustomError("datetime_range", message) from None


_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\S+)?")


def _iso_time_text(value: Any) -> Any:
    # pydantic would also read 0.5 as a Unix time: the schema says ISO 8601, so only that.
    if isinstance(value, str) and not _ISO_TIME.fullmatch(value):
        raise PydanticCustomError("datetime_parsing", "must be an ISO 8601 time or date")
    return value


# A time in a query (created_after=2026-12-01T09:00:00Z); a date alone is its midnight UTC.
QueryDateTime = Annotated[datetime, BeforeValidator(_iso_time_text), AfterValidator(_in_utc)]
