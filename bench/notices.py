"""`make bench-notices`: how fast notices are queued and sent, each against a baseline
measured in the same run.

- Queueing: a need decision over 10 000 requests from 2 000 stakeholders, through the
  real server, until its sender has gathered the notices; against the same decision
  recorded quietly (notify false: nothing to gather into a notice).
- Sending: the notices sender delivering those 2 000 notices to a local SMTP server,
  against aiosmtplib alone sending as many messages to it, as many at a time.

    python -m bench.notices --db postgresql --requests 10000 --stakeholders 2000
"""

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from pydantic import SecretStr
from sqlalchemy import Engine, update
from sqlmodel import col, func, select

from app.core.db import make_engine, open_session
from app.core.migrations import upgrade_to_head
from app.core.types import utcnow
from app.needs.models import Need
from app.notices.gathering import has_owed
from app.notices.models import Notice, NoticeStatus
from app.notices.sender import BATCH, NoticeSender
from app.requests.models import Request
from app.stakeholders.models import Stakeholder
from bench.run import admin_token, bench_settings, database, free_port, server, server_env
from bench.seed import insert_rows, settle_after_bulk_load

QUEUE_LIMIT_SECONDS = 2.0
SEND_FLOOR_PER_SECOND = 200.0


def seed_needs(engine: Engine, *, requests: int, stakeholders: int) -> tuple[int, int]:
    """Two needs alike (one to decide quietly, one aloud), each with `requests` requests
    spread over `stakeholders` stakeholders; their ids."""
    people = (
        {"name": f"Person {i}", "email": f"person{i}@example.com"} for i in range(stakeholders)
    )
    insert_rows(engine, Stakeholder, people)
    insert_rows(engine, Need, ({"statement": f"Need {i}"} for i in (1, 2)))
    for need_id in (1, 2):
        rows = (
            {"title": f"Ask {i}", "stakeholder_id": i % stakeholders + 1, "need_id": need_id}
            for i in range(requests)
        )
        insert_rows(engine, Request, rows)
    settle_after_bulk_load(engine)
    return 1, 2


def decide_and_gather(url: str, token: str, engine: Engine, need_id: int, **fields: Any) -> float:
    """Seconds from posting a decision on the need until the server's sender has gathered
    what it owes into notices (its notice_owed rows are gone)."""
    body = {"outcome": "declined", "why": "Not this year", "stakeholder_message": "Sorry"}
    started = time.perf_counter()
    response = httpx.post(
        f"{url}/api/v1/needs/{need_id}/decisions",
        json=body | fields,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    response.raise_for_status()
    while has_owed_rows(engine):
        time.sleep(0.01)
    return time.perf_counter() - started


def has_owed_rows(engine: Engine) -> bool:
    with open_session(engine, write=False) as session:
        return has_owed(session)


def the_delay_passes(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(update(Notice).values(send_after=utcnow(), next_attempt_at=utcnow()))


def count_notices(engine: Engine, status: NoticeStatus) -> int:
    with open_session(engine, write=False) as session:
        counted = select(func.count()).select_from(Notice).where(col(Notice.status) == status)
        return session.exec(counted).one()


@dataclass
class Sink:
    url: str
    received: Path

    def message_ids(self, prefix: str) -> list[str]:
        lines = self.received.read_text().splitlines()
        return [line for line in lines if line.startswith(prefix)]


@contextmanager
def mail_sink(directory: Path) -> Iterator[Sink]:
    """bench.mail_sink in a process of its own, on a free port."""
    port = free_port()
    received = directory / "received.txt"
    received.touch()
    command = [sys.executable, "-m", "bench.mail_sink", str(port), str(received)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        if process.stdout is None or process.stdout.readline().strip() != "ready":
            raise RuntimeError("the mail sink did not start")
        yield Sink(f"smtp://127.0.0.1:{port}", received)
    finally:
        process.terminate()
        process.wait(timeout=15)


async def smtp_alone(url: str, messages: int) -> float:
    """Seconds for aiosmtplib to send `messages`, BATCH at a time, one connection each
    (as the sender does)."""
    host, port = url.removeprefix("smtp://").split(":")

    async def one(i: int) -> None:
        message = EmailMessage()
        message["From"], message["To"] = "bench@example.com", f"person{i}@example.com"
        message["Subject"] = "Baseline"
        message["Message-ID"] = f"<baseline-{i}@bench.example>"
        message.set_content("What we decided about your request.\n" * 20)
        await aiosmtplib.send(message, hostname=host, port=int(port))

    started = time.perf_counter()
    for first in range(0, messages, BATCH):
        await asyncio.gather(*(one(i) for i in range(first, min(first + BATCH, messages))))
    return time.perf_counter() - started


async def sender_until_done(sender: NoticeSender) -> float:
    started = time.perf_counter()
    while await sender.work_once():
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--stakeholders", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, database(args.db, Path(directory)) as url:
        settings = bench_settings(url, Path(directory))
        engine = make_engine(settings)
        upgrade_to_head(engine)
        quiet_need, loud_need = seed_needs(
            engine, requests=args.requests, stakeholders=args.stakeholders
        )
        token = admin_token(engine, settings)
        # The server's sender gathers, as configured by default, and holds the notices for
        # the default delay: the sending is measured on its own, below.
        env = server_env(settings)
        with server("app.main:app", env) as served:
            quiet = decide_and_gather(served.url, token, engine, quiet_need, notify=False)
            loud = decide_and_gather(served.url, token, engine, loud_need)
        queued = count_notices(engine, NoticeStatus.pending)
        the_delay_passes(engine)
        with mail_sink(Path(directory)) as sink:
            mailing = settings.model_copy(update={"smtp_url": SecretStr(sink.url)})
            alone = asyncio.run(smtp_alone(sink.url, queued))
            sending = asyncio.run(sender_until_done(NoticeSender(engine=engine, settings=mailing)))
            received = sink.message_ids("<notice-")
        delivered = len(set(received))
        sent = count_notices(engine, NoticeStatus.sent)
        engine.dispose()
    print(
        f"\n{args.db}: a need decision over {args.requests} requests from "
        f"{args.stakeholders} stakeholders\n"
    )
    print(f"{'scenario':44} {'seconds':>8} {'x baseline':>10}")
    print(f"{'decided quietly, gathered (baseline)':44} {quiet:8.2f}")
    print(f"{f'decided, {queued} notices gathered':44} {loud:8.2f} {loud / quiet:10.2f}")
    print(f"{'SMTP alone, messages/s (baseline)':44} {queued / alone:8.0f}")
    print(f"{'notices sender, messages/s':44} {sent / sending:8.0f} {alone / sending:10.2f}")
    verdicts = [
        (queued == args.stakeholders, f"one notice per stakeholder ({queued})"),
        (loud < QUEUE_LIMIT_SECONDS, f"queued in under {QUEUE_LIMIT_SECONDS:.0f} s"),
        (
            sent == delivered == len(received) == queued,
            f"each notice delivered once ({len(received)} messages, {delivered} notices)",
        ),
        (sent / sending >= SEND_FLOOR_PER_SECOND, f">= {SEND_FLOOR_PER_SECOND:.0f} messages/s"),
    ]
    print()
    for holds, said in verdicts:
        print(f"{'ok ' if holds else 'MISSED'} {said}")


if __name__ == "__main__":
    main()
