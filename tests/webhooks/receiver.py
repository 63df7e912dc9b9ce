"""A real HTTP server on 127.0.0.1 that receives webhooks and answers as told."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)
        return event


@dataclass
class Receiver:
    """Answers 200 unless told otherwise: `plan` is a queue of answers for the next calls.

    An answer is a status code, ("hang", seconds) to say nothing for that long, or
    ("redirect", url).
    """

    url: str = ""
    plan: list[Any] = field(default_factory=list)
    delay_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answers(self, *plan: Any) -> None:
        with self.lock:
            self.plan.extend(plan)

    def next_answer(self) -> Any:
        with self.lock:
            return self.plan.pop(0) if self.plan else 200

    def record(self, received: Received) -> None:
        with self.lock:
            self.received.append(received)

    def event_ids(self, path: str | None = None) -> list[int]:
        """Ids of every call's event (to `path`), failed calls included, in arrival order."""
        with self.lock:
            return [r.event["id"] for r in self.received if path in (None, r.path)]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            receiver.record(Received(self.path, dict(self.headers.items()), body, time.monotonic()))
            answer = receiver.next_answer()
            time.sleep(receiver.delay_seconds)
            if isinstance(answer, tuple) and answer[0] == "hang":
                time.sleep(answer[1])
                answer = 200
            if isinstance(answer, tuple) and answer[0] == "redirect":
                self.send_response(302)
                self.send_header("location", answer[1])
            else:
                self.send_response(answer)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    server.block_on_close = False
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
