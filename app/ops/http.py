"""The HTTP/1.1 protocol `reqtrack serve` runs: uvicorn's httptools protocol, bounded.

uvicorn reads a request line and headers of any size (a 16 MB header was read and
kept), so a client could hold the server's memory without ever being authenticated.
Here the head of each request is counted as it arrives; past `max_header_bytes` the
client gets 431 problem+json and the connection is closed, before any of it reaches
the app.
"""

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from app.core.config import get_settings
from app.core.errors import PROBLEM_JSON, problem_body


def too_large_head(max_bytes: int) -> bytes:
    """The whole 431 answer, as bytes: the app never sees such a request."""
    detail = f"The request line and headers are larger than {max_bytes} bytes."
    body = json.dumps(problem_body(431, detail, slug="header-too-large")).encode()
    head = (
        f"content-type: {PROBLEM_JSON}\r\n"
        f"content-length: {len(body)}\r\n"
        "x-content-type-options: nosniff\r\n"
        "connection: close\r\n\r\n"
    )
    return STATUS_LINE[431] + head.encode() + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Counts the bytes of each request's head as they arrive; refuses the request once
    it is too large. Pipelined requests after the first in one read are bounded by the
    read's size (at most 256 KiB), not counted: httptools tells no position in a read."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.max_head_bytes = get_settings().max_header_bytes
        self._new_head()

    def _new_head(self) -> None:
        self.reading_head = True
        self.head_bytes = 0
        self.line_started = False  # past the empty lines a request may begin with
        self.last_bytes = b""  # the end of the last read: the blank line may span two

    def data_received(self, data: bytes) -> None:
        if self.reading_head:
            self.head_bytes += self._head_part(data)
            if self.head_bytes > self.max_head_bytes:
                # Refused before the parser keeps any of it.
                self.transport.write(too_large_head(self.max_head_bytes))
                self.transport.close()
                return
        super().data_received(data)

    def _head_part(self, data: bytes) -> int:
        """How many bytes of this read belong to the head (all of them, until its end)."""
        skipped = 0
        if not self.line_started:
            # The parser skips empty lines before a request line (RFC 9112, 2.2): they are
            # counted, but are not the blank line that ends the head.
            line = data.lstrip(b"\r\n")
            skipped, data = len(data) - len(line), line
            if not data:
                return skipped
            self.line_started = True
        seen = self.last_bytes + data
        end = seen.find(b"\r\n\r\n")
        carried = len(seen) - len(data)
        self.last_bytes = seen[-3:]
        return skipped + (len(data) if end < 0 else end + 4 - carried)

    def on_headers_complete(self) -> None:
        self.reading_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._new_head()  # the next request on this connection has a count of its own
