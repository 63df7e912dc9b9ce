"""An uploaded file, read line by line into rows, each with the line it starts on.

Nothing here holds the whole file: lines are read as they arrive and decoded one by one
(a UTF-8 character never contains a newline byte), so a bad byte is reported on its own
line and the rest of the file is still checked.
"""

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from app.transfer.cells import unguard_formula
from app.transfer.models import IMPORT_FIELDS, READ_ONLY_FIELDS, InvalidImport

# A line may hold the longest description (100,000 characters, up to 6 bytes each as JSON
# escapes); anything longer is refused before it is held in memory.
MAX_LINE_BYTES = 1024 * 1024
REQUIRED_COLUMNS = ("title",)
ID_COLUMNS = frozenset({"stakeholder_id", "need_id"})
NUMBER_COLUMNS = ID_COLUMNS | {"revenue_at_stake"}
_INTEGER = re.compile(r"\s*[+-]?\d{1,20}\s*")
MAX_SHOWN = 64
IMPORT_COLUMNS = ", ".join(sorted(IMPORT_FIELDS)) + ", and the export's read-only ones (ignored)"
STAKEHOLDER_COLUMNS = ("stakeholder_id", "stakeholder_email")


class LineSource(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


@dataclass
class Row:
    line: int
    fields: dict[str, Any]


@dataclass
class LineProblem:
    line: int
    msg: str
    field: str | None = None


Parsed = Row | LineProblem


def shown(name: str) -> str:
    """A name from the file, cut short: errors echo it, and a file may hold anything."""
    return name if len(name) <= MAX_SHOWN else name[: MAX_SHOWN - 1] + "\u2026"


def line_loc(line: int, *path: str | int) -> list[str | int]:
    """Where a problem is: ["body", "line", 7] and, for a field, its name after that."""
    return ["body", "line", line, *path]


class ChunkedBody:
    """readline() over a body that arrives in chunks (the next one b"" at the end)."""

    def __init__(self, next_chunk: Callable[[], bytes]) -> None:
        self._next_chunk = next_chunk
        self._buffer = bytearray()
        self._searched = 0  # bytes of the buffer known to hold no newline
        self._done = False

    def readline(self, size: int = -1, /) -> bytes:
        while True:
            end = self._buffer.find(b"\n", self._searched)
            if end != -1 and (size < 0 or end < size):
                return self._take(end + 1)
            if 0 <= size <= len(self._buffer) or self._done:
                return self._take(len(self._buffer) if size < 0 else size)
            self._searched = len(self._buffer)
            chunk = self._next_chunk()
            self._buffer += chunk
            self._done = not chunk

    def _take(self, size: int) -> bytes:
        line = bytes(self._buffer[:size])
        del self._buffer[:size]  # CPython drops a bytearray's head without copying the rest
        self._searched = 0
        return line


class _Lines:
    """The file's lines as text with their endings (csv needs them). Lines that cannot be
    read as they are (not UTF-8, a NUL, too long) are noted by number, for the row they
    belong to; their text is passed on repaired so the rows after them are still read."""

    def __init__(self, source: LineSource) -> None:
        self.source = source
        self.number = 0
        self.problems: dict[int, str] = {}

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        raw = self.source.readline(MAX_LINE_BYTES + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        if len(raw) > MAX_LINE_BYTES:
            while raw and not raw.endswith(b"\n"):
                raw = self.source.readline(MAX_LINE_BYTES)
            self.problems[self.number] = f"the line is longer than {MAX_LINE_BYTES} bytes"
            return "\n"
        if self.number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)  # spreadsheets like to write one
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems[self.number] = (
                f"the line is not UTF-8 (byte {exc.start + 1} of the line); save the file as UTF-8"
            )
            text = raw.decode("utf-8", errors="replace")
        if "\x00" in text:
            self.problems.setdefault(self.number, "the line contains a NUL character")
            text = text.replace("\x00", "")
        return text

    def take_problems(self, first: int, last: int) -> list[LineProblem]:
        """The problems of lines first..last, forgotten once taken."""
        if not self.problems:
            return []
        return [
            LineProblem(number, self.problems.pop(number))
            for number in range(first, last + 1)
            if number in self.problems
        ]


def empty_file() -> InvalidImport:
    return InvalidImport(
        "The file is empty: nothing was imported.",
        errors=[{"loc": ["body"], "msg": "the file has no rows"}],
    )


# --- CSV -------------------------------------------------------------------------------


def csv_rows(source: LineSource) -> Iterator[Parsed]:
    """The rows of a CSV file with a header row; the header is checked before any row."""
    lines = _Lines(source)
    reader = csv.reader(lines, strict=True)
    columns = _header(reader, lines)
    width = len(columns)
    while True:
        first = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            lines.take_problems(first, reader.line_num)  # the CSV error says enough
            yield LineProblem(first, _csv_message(exc))
            continue
        problems = lines.take_problems(first, reader.line_num)
        if problems:
            yield from problems
        elif not any(cells):
            continue  # a blank line, or a row of empty cells a spreadsheet left behind
        elif len(cells) != width:
            yield LineProblem(first, f"the row has {len(cells)} cells; the header has {width}")
        else:
            yield Row(first, _fields(columns, cells))


def _header(reader: Any, lines: _Lines) -> list[str]:
    cells: list[str] = []
    while not any(cells):  # blank lines before the header are skipped
        try:
            cells = next(reader)
        except StopIteration:
            raise empty_file() from None
        except csv.Error as exc:
            raise _bad_header(reader.line_num, _csv_message(exc)) from None
    line = reader.line_num
    problems = lines.take_problems(1, line)
    if problems:
        raise _bad_header(line, problems[0].msg)
    columns = [name.strip().lower() for name in cells]
    errors = _column_errors(columns, line)
    if errors:
        raise InvalidImport(
            f"The header row is not valid; see errors. The columns are {IMPORT_COLUMNS}. "
            "Nothing was imported.",
            errors=errors,
        )
    return columns


def _column_errors(columns: list[str], line: int) -> list[dict[str, Any]]:
    known = IMPORT_FIELDS | READ_ONLY_FIELDS
    errors: list[dict[str, Any]] = []
    for position, name in enumerate(columns, start=1):
        if not name:
            errors.append({"loc": line_loc(line), "msg": f"column {position} has no name"})
        elif name not in known:
            hint = "; the file seems to use ';' between cells: use ','" if ";" in name else ""
            msg = f"unknown column {shown(name)!r}{hint}"
            errors.append({"loc": line_loc(line, shown(name)), "msg": msg})
        elif columns.index(name) != position - 1:
            errors.append({"loc": line_loc(line, name), "msg": f"column {name!r} is repeated"})
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            errors.append({"loc": line_loc(line, name), "msg": f"missing column {name!r}"})
    if not any(name in columns for name in STAKEHOLDER_COLUMNS):
        errors.append(
            {
                "loc": line_loc(line, "stakeholder_id"),
                "msg": "missing column: give stakeholder_id or stakeholder_email",
            }
        )
    return errors


def _fields(columns: list[str], cells: list[str]) -> dict[str, Any]:
    # An empty cell is a field not given: its default applies, as when omitted in JSON.
    return {
        column: _value(column, cell)
        for column, cell in zip(columns, cells, strict=True)
        if cell and column not in READ_ONLY_FIELDS
    }


def _value(column: str, cell: str) -> Any:
    """A cell as JSON would have sent it: a number in a number column (if it is one)."""
    if column in ID_COLUMNS and _INTEGER.fullmatch(cell):
        return int(cell)
    if column in NUMBER_COLUMNS:
        try:
            return Decimal(cell)
        except InvalidOperation:
            return cell  # the import reports it as not a number
    return unguard_formula(cell)


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted cell starts on this line and is never closed (unbalanced quotes)"
    if "expected after" in text:
        return 'unbalanced quotes: a quote inside a quoted cell must be doubled ("")'
    if "field larger than field limit" in text:
        return f"a cell is longer than {csv.field_size_limit()} characters"
    return f"the row is not valid CSV: {text}"


def _bad_header(line: int, msg: str) -> InvalidImport:
    return InvalidImport(
        "The header row cannot be read; see errors. Nothing was imported.",
        errors=[{"loc": line_loc(line), "msg": msg}],
    )


# --- JSON lines ------------------------------------------------------------------------


def json_lines_rows(source: LineSource) -> Iterator[Parsed]:
    """One JSON object per line; blank lines are skipped."""
    lines = _Lines(source)
    for text in lines:
        number = lines.number
        problems = lines.take_problems(number, number)
        if problems:
            yield from problems
        elif text.strip():
            yield from _json_row(number, text)


def _json_row(number: int, text: str) -> Iterator[Parsed]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        yield LineProblem(number, f"the line is not valid JSON: {exc.msg} (column {exc.colno})")
        return
    except RecursionError:
        yield LineProblem(number, "the line is not valid JSON: it is nested too deeply")
        return
    if not isinstance(value, dict):
        yield LineProblem(number, "the line must be a JSON object")
        return
    unknown = sorted(set(value) - IMPORT_FIELDS - READ_ONLY_FIELDS)
    for name in unknown:
        msg = f"unknown field; the fields are {IMPORT_COLUMNS}"
        yield LineProblem(number, msg, field=shown(name))
    if not unknown:
        yield Row(number, {key: item for key, item in value.items() if key not in READ_ONLY_FIELDS})
