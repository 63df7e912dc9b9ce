"""The checks of an import's rows: each validated as POST /requests validates it, their
references looked up a batch at a time, and every problem noted with its line."""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from app.decisions.models import DecisionRead
from app.decisions.reads import current_decisions_of_needs
from app.requests.models import RequestCreate
from app.requests.references import Broken, look_up
from app.stakeholders import service as stakeholders
from app.transfer.models import InvalidImport
from app.transfer.parsing import NUMBER_COLUMNS, LineProblem, Row, line_loc

# The response lists this many problems at most (the count says how many there were).
MAX_REPORTED_ERRORS = 1000


@dataclass
class Candidate:
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
            f"{'are' if lines != 1 else 'is'} not valid "
            f"({self.count} problem{'s' if self.count != 1 else ''}{shown} "
            "listed in errors). Nothing was imported.",
            errors=sorted(self.errors, key=lambda error: error["loc"][2]),
        )


class Checker:
    def __init__(self, session: Session, *, text_cells: bool) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.text_cells = text_cells  # CSV: a number column's cell that is no number is text
        self.problems = _Problems()
        self.references_seen: dict[tuple[str, str], int] = {}

    def batch(self, batch: list[Row | LineProblem]) -> list[Candidate]:
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
        return stakeholders.ids_by_email(session=self.session, emails=emails)

    def _validated(self, row: Row, emails: dict[str, int]) -> Candidate | None:
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
        return None if reported else Candidate(row.line, data)

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

    def _with_valid_references(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates whose references hold (requests/references.py, as for one
        request), each under a decided need with that need's decision."""
        rows = [candidate.data.model_dump() for candidate in candidates]
        found = look_up(self.session, rows)
        need_decisions = current_decisions_of_needs(self.session, list(found.needs))
        valid = []
        for candidate, fields in zip(candidates, rows, strict=True):
            repeated = self._repeated_reference(candidate)
            broken = [b for b in found.broken(fields) if not (repeated and b.taken)] + repeated
            for problem in broken:
                self.problems.add(candidate.line, problem.message, problem.field)
            if not broken:
                if candidate.data.need_id is not None:
                    candidate.need_decision = need_decisions.get(candidate.data.need_id)
                valid.append(candidate)
        return valid

    def _repeated_reference(self, candidate: Candidate) -> list[Broken]:
        """The candidate's external reference, if an earlier line of the file has it."""
        system, external_id = candidate.data.source_system, candidate.data.external_id
        if system is None or external_id is None:
            return []
        first = self.references_seen.setdefault((system, external_id), candidate.line)
        if first == candidate.line:
            return []
        message = f"The reference {system}/{external_id} is also on line {first}."
        return [Broken("external_id", message)]
