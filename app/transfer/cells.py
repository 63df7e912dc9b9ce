"""CSV cells: text out of typed values, and the guard against formula injection.

A spreadsheet runs a cell that starts with =, +, -, @ (or a tab or carriage return) as a
formula, so a request titled `=HYPERLINK(...)` could act in a manager's spreadsheet. As
OWASP advises, such cells are written with a leading apostrophe, which spreadsheets show
as text. The import takes the apostrophe off again, so an export imports as it was.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from pydantic_core import to_jsonable_python

# The ASCII triggers and their full-width forms, which some spreadsheets also evaluate.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
GUARD = "'"


def guard_formula(text: str) -> str:
    """The text as a spreadsheet will not evaluate it (and `unguard_formula` undoes)."""
    if text.startswith(FORMULA_TRIGGERS) or unguard_formula(text) != text:
        return GUARD + text
    return text


def unguard_formula(text: str) -> str:
    """Take off the apostrophe `guard_formula` put before a trigger (or another guard)."""
    if text.startswith(GUARD) and text[1:].startswith((*FORMULA_TRIGGERS, GUARD)):
        return text[1:]
    return text


def cell(value: object) -> str:
    """A value as CSV text: empty for null, RFC 3339 for times, plain decimals for money."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return str(to_jsonable_python(value))  # as the JSON API writes it
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return guard_formula(value)
    return str(value)
