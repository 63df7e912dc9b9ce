"""Log lines: JSON in production (one object per line, for the log pipeline), plain text
in development; each carries the id of the request it was written for.

Nothing secret is logged: the request line names the route template and the status, never
headers, query values or bodies (tokens, passwords and personal data travel there).
"""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

# The id of the request being handled, for every line logged while handling it.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Not extras: the record's own fields, uvicorn's copy of its message with colours, and
# the text format's request column.
_STANDARD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "color_message",
    "request",
}


class _WithRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        record.request_id = current
        record.request = current or "-"  # the text format's column
        return True


class JSONLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {k: v for k, v in record.__dict__.items() if k not in _STANDARD_FIELDS}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(
    *, json_lines: bool, level: str = "INFO", stream: IO[str] | None = None
) -> None:
    """The app's and uvicorn's loggers write to stderr (or `stream`) in the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_WithRequestId())
    if json_lines:
        handler.setFormatter(JSONLines())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request)s] %(message)s")
        )
    for name in ("reqtrack", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
