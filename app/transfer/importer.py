"""Importing requests in bulk: every row checked as POST /requests checks it, all or nothing.

The file is read in batches of rows. Each batch is validated with RequestCreate, its
references are checked with one query per kind (app/transfer/import_checks.py), and,
while no row so far is bad, it is inserted in bulk. Once a bad row is found nothing more
is inserted, but the rest of the file is still checked so every bad row is reported; the error then
rolls the whole transaction back.

On PostgreSQL the server and Python work at once: the checks run on a connection of
their own, and a writer thread sends each batch while the next one is read (see
_checking_session, _Writer). The import's events go into the feed once, at its end
(app/events/bulk.py).
"""

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.auth.models import Principal
from app.core.direct import (
    BoundRows,
    SessionDriver,
    insert_of,
    last_sqlite_id,
    next_postgres_ids,
)
from app.core.types import utcnow
from app.events.bulk import BulkEvents
from app.events.journal import INSERT_AUDIT, journal_of
from app.requests.service import REQUEST_TABLE, created_reads, new_row
from app.transfer.import_checks import Candidate, Checker
from app.transfer.models import ImportFormat, ImportResult, InvalidImport
from app.transfer.parsing import LineSource, csv_rows, json_lines_rows

BATCH_SIZE = 1000
SENDS_PER_BATCH = 3  # its requests, their audit entries, their events

T = TypeVar("T")


def import_requests(
    *, session: Session, source: LineSource, file_format: ImportFormat, creator: Principal
) -> ImportResult:
    """Create a request for every row, or none; each row names its stakeholder by
    stakeholder_id or stakeholder_email. A reference already used by a request, here or
    earlier in the file, makes the row bad: an import creates, it never updates."""
    rows = csv_rows(source) if file_format is ImportFormat.csv else json_lines_rows(source)
    events = BulkEvents(session)
    created: list[int] = []
    with _checking_session(session) as checking, _Writer(session, creator, events) as writer:
        check = Checker(checking, text_cells=file_format is ImportFormat.csv)
        for batch in batches(rows, BATCH_SIZE):
            candidates = check.batch(batch)
            if candidates and not check.problems.count:
                ids = _reserved_ids(checking, len(candidates))
                writer.insert(candidates, ids)
                created += ids
        # Before the writer's own errors: bad lines are what the client can fix.
        check.problems.raise_if_any()
    if not created:
        raise InvalidImport(
            "The file has no rows: nothing was imported.",
            errors=[{"loc": ["body"], "msg": "the file has no rows"}],
        )
    events.publish_at_commit()
    return ImportResult(created=len(created), first_id=created[0], last_id=created[-1])


@contextmanager
def _checking_session(session: Session) -> Iterator[Session]:
    """Where the rows are checked (and their ids drawn). On PostgreSQL a session of its
    own: a second connection, whose statements never wait for the writer's COPY to end
    (they waited a sixth of the import). It reads what the import's session would, but
    for the import's own rows, which the checks do not need (a reference twice in the
    file is found in the file). On SQLite the import's session: its writes run in this
    thread, and hold the only write lock."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        yield session
        return
    # Only a connection the pool has to spare: never wait for one (requests take turns
    # for the pool's connections, one each), nor open one past the pool's size.
    pool: Any = engine.pool  # type: ignore[union-attr]
    if pool.checkedout() >= pool.size():
        with _each_statement_planned_for_its_values(session):
            yield session
        return
    with Session(engine) as checking:
        # The batches' IN lists differ each time: a generic plan of the prepared statement
        # compares every row with every value, a custom one hashes them (far faster once
        # many rows are in). Not on the import's own connection: there the foreign keys'
        # checks of its inserts, planned afresh for each row, were a large share of the
        # server's time.
        checking.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        yield checking


@contextmanager
def _each_statement_planned_for_its_values(session: Session) -> Iterator[None]:
    """Checks on the import's own PostgreSQL connection (the pool has none to spare): its
    statements unprepared, so each is planned for its values, while the foreign keys'
    checks of its inserts keep their cached plans."""
    driver: Any = session.connection().connection.dbapi_connection
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = threshold


class _Writer:
    """Inserts the batches: binds their rows (the Python half of the work) and sends them.
    On PostgreSQL a thread of its own sends them, in order, while this one goes on: the
    server inserts a batch's requests while their audit entries and events are made, and
    while the next batch is read (waiting for the server was a quarter of the import).
    The statements of both threads take turns on the connection."""

    def __init__(self, session: Session, creator: Principal, events: BulkEvents) -> None:
        self._creator = creator
        self._events = events
        self._driver = SessionDriver(session)
        self._thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
            if self._driver.dialect.name == "postgresql"
            else None
        )
        self._sent: deque[Future[None]] = deque()
        self._failed = False

    def insert(self, candidates: list[Candidate], ids: list[int]) -> None:
        """The batch's rows, with these ids, written now or soon after."""
        # At most one batch still to write while this one is bound: memory stays bounded
        # when the server is slower than the file is read.
        self._written(at_most_left=SENDS_PER_BATCH)
        now = utcnow()
        inserted = [
            new_row(c.data, self._creator, answered=c.need_decision is not None, now=now)
            | {"id": id_}
            for c, id_ in zip(candidates, ids, strict=True)
        ]
        # The ids known, nothing is read back: the rows go in bulk, far faster even as an
        # executemany than a 1000-row INSERT ... RETURNING.
        self._send(self._driver.bound(_INSERT_WITH_ID, inserted))
        need_decisions = {
            c.data.need_id: c.need_decision
            for c in candidates
            if c.data.need_id and c.need_decision
        }
        reads = created_reads(inserted, need_decisions)
        resources = {read.id: read for read in reads}
        journal = journal_of(REQUEST_TABLE, inserted, self._creator, resources)
        self._send(self._driver.bound(INSERT_AUDIT, journal.audit_entries))
        self._send(self._events.bound(journal.events))

    def _send(self, rows: BoundRows) -> None:
        if self._thread is None:
            self._driver.insert(rows)
        else:
            self._sent.append(self._thread.submit(self._driver.insert, rows))

    def _written(self, *, at_most_left: int) -> None:
        """Wait until at most `at_most_left` sends are left to write; raise the first
        error of those written."""
        while self._sent and (len(self._sent) > at_most_left or self._sent[0].done()):
            try:
                self._sent.popleft().result()
            except BaseException:
                self._failed = True
                raise

    def __enter__(self) -> "_Writer":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: Any, traceback: Any) -> None:
        if self._thread is None:
            return
        try:
            if not self._failed and (error is None or isinstance(error, DBAPIError)):
                # The first failed write's error, if one failed: what this thread ran on
                # the connection after it (checks without a spare connection) met only
                # "the transaction is aborted", as did the writes after it.
                self._written(at_most_left=0)
        finally:
            self._thread.shutdown(cancel_futures=True)  # and wait for the one under way


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items (the last may be shorter), taken as the iterable yields them."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _reserved_ids(session: Session, count: int) -> list[int]:
    """The next `count` ids of requests, in order, for this transaction alone."""
    if session.get_bind().dialect.name == "sqlite":
        # The import holds SQLite's write lock (BEGIN IMMEDIATE): no other insert takes
        # ids meanwhile. AUTOINCREMENT never reuses one, so start past the highest ever.
        last = session.execute(last_sqlite_id(REQUEST_TABLE).statement).scalar_one()
        return list(range(last + 1, last + 1 + count))
    drawn = session.execute(next_postgres_ids(REQUEST_TABLE).statement, {"count": count})
    return sorted(drawn.scalars())


_INSERT_WITH_ID = insert_of(REQUEST_TABLE, with_id=True)
