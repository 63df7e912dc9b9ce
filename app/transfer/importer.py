"""Importing requests in bulk: every row checked as POST /requests checks it, all or nothing.

The file is read in batches of rows. Each batch is validated with RequestCreate, its
references are checked with one query per kind, and, while no row so far is bad, it is
inserted in bulk. Once a bad row is found nothing more is inserted, but
the rest of the file is still checked so every bad row is reported; the error then
rolls the whole transaction back.

On PostgreSQL the server and Python work at once: the checks run on a connection of
their own, and a writer thread sends each batch while the next one is read (see
_checking_session, _Writer). The import's events go into the feed once, at its end
(app/events/bulk.py).
"""

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar, cast

from pydantic import ValidationError
from sqlalchemy import BigInteger, ColumnElement, String, any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app.auth.models import Principal
from app.core.direct import (
    BoundRows,
    SessionDriver,
    insert_of,
    last_sqlite_id,
    next_postgres_ids,
)
from app.core.types import utcnow
from app.decisions.models import DecisionRead
from app.decisions.reads import current_decisions_of_needs
from app.events.bulk import BulkEvents
from app.events.journal import INSERT_AUDIT, journal_of
from app.needs.models import Need
from app.requests.models import Request, RequestCreate
from app.requests.service import REQUEST_TABLE, created_reads, new_row
from app.stakeholders.models import Stakeholder
from app.transfer.models import ImportFormat, ImportResult, InvalidImport
from app.transfer.parsing import (
    NUMBER_COLUMNS,
    LineProblem,
    LineSource,
    Row,
    csv_rows,
    json_lines_rows,
    line_loc,
)

BATCH_SIZE = 1000
SENDS_PER_BATCH = 3  # its requests, their audit entries, their events
# The response lists this many problems at most (the count says how many there were).
MAX_REPORTED_ERRORS = 1000

T = TypeVar("T")


@dataclass
class _Candidate:
    line: int
    data: RequestCreate
    # Filed under a need that is already decided: its decision answers the request at once.
    need_decision: DecisionRead | None = None


class _Problems:
    """Every bad line, with the first MAX_REPORTED_ERRORS problems spelled out."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.count = 0
        self.bad_lines: set[int] = set()

    def add(self, line: int, msg: str, *path: str | int) -> None:
        self.count += 1
        self.bad_lines.add(line)
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"loc": line_loc(line, *path), "msg": msg})

    def raise_if_any(self) -> None:
        if not self.count:
            return
        lines = len(self.bad_lines)
        shown = "" if self.count <= MAX_REPORTED_ERRORS else f"; the first {MAX_REPORTED_ERRORS}"
        raise InvalidImport(
            f"{lines} line{'s' if lines != 1 else ''} of the file "
            f"{'are' if lines != 1 else 'is'} not valid ({self.count} problems{shown} "
            "listed in errors). Nothing was imported.",
            errors=sorted(self.errors, key=lambda error: error["loc"][2]),
        )


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
        check = _Checker(checking, text_cells=file_format is ImportFormat.csv)
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

    def insert(self, candidates: list[_Candidate], ids: list[int]) -> None:
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


class _Checker:
    def __init__(self, session: Session, *, text_cells: bool) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.text_cells = text_cells  # CSV: a number column's cell that is no number is text
        self.problems = _Problems()
        self.references_seen: dict[tuple[str, str], int] = {}

    def batch(self, batch: list[Row | LineProblem]) -> list[_Candidate]:
        """The rows of the batch that are valid; the problems of the others are noted."""
        rows = []
        for item in batch:
            if isinstance(item, LineProblem):
                path = () if item.field is None else (item.field,)
                self.problems.add(item.line, item.msg, *path)
            else:
                rows.append(item)
        emails = self._stakeholders_by_email(rows)
        candidates = [c for row in rows if (c := self._validated(row, emails)) is not None]
        return self._with_valid_references(candidates)

    def _stakeholders_by_email(self, rows: list[Row]) -> dict[str, int]:
        emails = {
            email.strip().lower()
            for row in rows
            if isinstance(email := row.fields.get("stakeholder_email"), str)
        }
        if not emails:
            return {}
        found = self.session.exec(
            select(Stakeholder.email, Stakeholder.id).where(
                self._one_of(col(Stakeholder.email), emails)
            )
        )
        return {email: id_ for email, id_ in found if email is not None and id_ is not None}

    def _validated(self, row: Row, emails: dict[str, int]) -> _Candidate | None:
        fields = dict(row.fields)
        reported: set[str] = set()  # fields whose problem is said better than pydantic says it
        email = fields.pop("stakeholder_email", None)
        if email is not None:
            if not self._resolve_email(row.line, email, emails, fields):
                reported.add("stakeholder_id")
        elif "stakeholder_id" not in fields:
            msg = "Field required: give stakeholder_id or stakeholder_email"
            self.problems.add(row.line, msg, "stakeholder_id")
            reported.add("stakeholder_id")
        for name in NUMBER_COLUMNS if self.text_cells else ():
            if isinstance(fields.get(name), str) and name not in reported:
                self.problems.add(row.line, "must be a number", name)
                reported.add(name)
        try:
            data = RequestCreate.model_validate(fields)
        except ValidationError as exc:
            for error in exc.errors():
                if not (error["loc"] and error["loc"][0] in reported):
                    self.problems.add(row.line, error["msg"], *error["loc"])
            return None
        return None if reported else _Candidate(row.line, data)

    def _resolve_email(
        self, line: int, email: Any, emails: dict[str, int], fields: dict[str, Any]
    ) -> bool:
        """Put the stakeholder the e-mail names into fields; False (noted) if it cannot."""
        if not isinstance(email, str):
            self.problems.add(line, "Input should be a valid string", "stakeholder_email")
            return False
        stakeholder_id = emails.get(email.strip().lower())
        if stakeholder_id is None:
            self.problems.add(line, "No stakeholder has this e-mail.", "stakeholder_email")
            return False
        given = fields.setdefault("stakeholder_id", stakeholder_id)
        if given != stakeholder_id:
            msg = (
                f"The e-mail is stakeholder {stakeholder_id}'s, and stakeholder_id names "
                "another; give one of the two, or both for the same stakeholder."
            )
            self.problems.add(line, msg, "stakeholder_email")
            return False
        return True

    def _with_valid_references(self, candidates: list[_Candidate]) -> list[_Candidate]:
        stakeholders = self._existing(Stakeholder, {c.data.stakeholder_id for c in candidates})
        needs = self._existing(Need, {c.data.need_id for c in candidates if c.data.need_id})
        need_decisions = current_decisions_of_needs(self.session, list(needs))
        taken = self._taken_references(candidates)
        valid = []
        for candidate in candidates:
            data, line = candidate.data, candidate.line
            ok = True
            if data.stakeholder_id not in stakeholders:
                msg = f"Stakeholder {data.stakeholder_id} does not exist."
                self.problems.add(line, msg, "stakeholder_id")
                ok = False
            if data.need_id is not None and data.need_id not in needs:
                self.problems.add(line, f"Need {data.need_id} does not exist.", "need_id")
                ok = False
            if data.source_system is not None and data.external_id is not None:
                ok = self._reference_free(line, data.source_system, data.external_id, taken) and ok
            if ok:
                if data.need_id is not None:
                    candidate.need_decision = need_decisions.get(data.need_id)
                valid.append(candidate)
        return valid

    def _reference_free(
        self, line: int, source_system: str, external_id: str, taken: dict[tuple[str, str], int]
    ) -> bool:
        reference = (source_system, external_id)
        earlier = self.references_seen.setdefault(reference, line)
        if earlier != line:
            msg = f"The reference {source_system}/{external_id} is also on line {earlier}."
            self.problems.add(line, msg, "external_id")
            return False
        if reference in taken:
            self.problems.add(
                line,
                f"Request {taken[reference]} already has the reference "
                f"{source_system}/{external_id}; an import only creates requests (update it "
                "with PUT /api/v1/requests/external/{source_system}/{external_id}).",
                "external_id",
            )
            return False
        return True

    def _one_of(self, column: Any, values: set[Any]) -> ColumnElement[bool]:
        """`column IN values`; on PostgreSQL `= ANY` of one array: a thousand placeholders
        (a batch naming a thousand stakeholders) cost SQLAlchemy and psycopg more Python
        than the server spends on the query."""
        if not self.postgres:
            return cast(ColumnElement[bool], column.in_(values))
        item = BigInteger() if isinstance(next(iter(values)), int) else String()
        return cast(ColumnElement[bool], column == any_(bindparam(None, list(values), ARRAY(item))))

    def _existing(self, model: type[Stakeholder] | type[Need], ids: set[int]) -> set[int]:
        if not ids:
            return set()
        found = self.session.exec(select(model.id).where(self._one_of(col(model.id), ids)))
        return {id_ for id_ in found if id_ is not None}

    def _taken_references(self, candidates: list[_Candidate]) -> dict[tuple[str, str], int]:
        by_system: dict[str, set[str]] = defaultdict(set)
        for c in candidates:
            if c.data.source_system is not None and c.data.external_id is not None:
                by_system[c.data.source_system].add(c.data.external_id)
        taken: dict[tuple[str, str], int] = {}
        # Per system, so the lookups use the (source_system, external_id) unique index.
        for system, external_ids in by_system.items():
            found = self.session.exec(
                select(Request.external_id, Request.id).where(
                    Request.source_system == system,
                    self._one_of(col(Request.external_id), external_ids),
                )
            )
            taken |= {(system, e): id_ for e, id_ in found if e is not None and id_ is not None}
        return taken


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
