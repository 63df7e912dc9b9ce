"""The notices sender as real processes (`reqtrack notices run`), and mail servers that
misbehave as a real one can: down until started, or stalled in the middle of a message."""

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.mail.smtp_server import Inbox
from tests.ops.server_process import operator_env


def wait_for(condition: Callable[[], bool], seconds: float, what: str | Callable[[], str]) -> None:
    """Until `condition()` holds; failing after `seconds` with what was awaited (`what`, or
    what it answers then: a process's output)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"not reached in {seconds:g} s: {said}")
        time.sleep(0.05)


@dataclass
class SenderProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def sender_process(database_url: str, data_dir: Path, **settings: str) -> Iterator[SenderProcess]:
    """`reqtrack notices run`, configured as an operator would: by REQTRACK_* variables."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = operator_env(database_url, data_dir, **settings)
    command = [str(Path(sys.executable).with_name("reqtrack")), "notices", "run"]
    # Its output to a file: a pipe nobody reads would fill up and stall it.
    log = data_dir / "sender.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    sender = SenderProcess(process, log)
    try:
        # Ready once it says so: its signal handlers are in place.
        wait_for(
            lambda: process.poll() is None and "notices: sending" in sender.output(),
            seconds=30,
            what=lambda: f"`reqtrack notices run` to start:\n{sender.output()}",
        )
        yield sender
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@dataclass
class StallingInbox(Inbox):
    """An inbox whose server takes the first message whole, keeps it, and then never
    answers its DATA (until the connection goes): its sender is stuck mid-send. Every
    later message is answered at once."""

    stalled: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if self.stalled.is_set():
            return answer
        self.stalled.set()  # no await since the check: the first message only
        await asyncio.Event().wait()  # cancelled by aiosmtpd when the client goes
        return answer


class _ControllerOnSocket(Controller):
    """aiosmtpd's Controller listening on a socket bound beforehand."""

    def __init__(self, handler: Inbox, listener: socket.socket) -> None:
        host, port = listener.getsockname()
        super().__init__(handler, hostname=host, port=port)
        self.listener = listener

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self.listener)


@contextmanager
def mail_server_down() -> Iterator[tuple[str, Callable[[Inbox], Inbox]]]:
    """An SMTP URL that refuses connections (its port is bound, nothing listens yet, so
    no other program can take it), and `start(inbox)`, which serves it there from then
    until the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    controller: Controller | None = None

    def start(inbox: Inbox) -> Inbox:
        nonlocal controller
        controller = _ControllerOnSocket(inbox, listener)
        controller.start()
        inbox.url = url
        return inbox

    url = f"smtp://127.0.0.1:{listener.getsockname()[1]}"
    try:
        yield url, start
    finally:
        if controller is not None:
            controller.stop()
        listener.close()
