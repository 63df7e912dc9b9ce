"""When the demo's week happened: asks arrive in working hours over the last working
days, and answers come hours to days after the asks they answer, so the reports show
waits a team would believe. Every time is a fixed offset from the day the demo is
loaded, never a random one, and none is later than yesterday."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import Session, col

from app.core.models import ResourceTable
from app.decisions.models import Decision
from app.requests.models import Request

WORKING_DAYS = 7  # day 0 is the earliest, day 6 the last working day before today

# When each request arrived: (working day, time of day, UTC).
ARRIVALS: dict[str, tuple[int, time]] = {
    "acme_sso": (0, time(9, 40)),
    "globex_sso": (0, time(15, 10)),
    "weekly_export": (1, time(9, 20)),
    "dark_mode": (1, time(16, 20)),
    "revenue_by_product": (2, time(9, 15)),
    "acme_direct": (2, time(10, 45)),
    "bi_feed": (2, time(14, 30)),
    "launch_dates": (3, time(11, 0)),
    "export_api": (3, time(15, 45)),
    "public_page": (4, time(10, 10)),
    "soc2_audit_log": (5, time(10, 20)),
    "excel_export": (5, time(14, 40)),
    "usage_report": (6, time(11, 0)),
}

# When each need or request was decided: after the last request it answers.
DECIDED: dict[str, tuple[int, time]] = {
    "dark_mode": (2, time(10, 30)),
    "sso": (2, time(17, 0)),
    "revenue": (3, time(16, 0)),
    "data": (4, time(11, 30)),
    "dates": (5, time(16, 0)),
}

# Stakeholders, needs and roadmap items were in the tracker before the first ask came.
BEFORE_THE_FIRST_ASK = (0, time(8, 0))


class Week:
    """The working days before `today`, and the demo's rows dated within them."""

    def __init__(self, today: date) -> None:
        days: list[date] = []
        day = today
        while len(days) < WORKING_DAYS:
            day -= timedelta(days=1)
            if day.weekday() < 5:  # Monday to Friday
                days.append(day)
        self.days = days[::-1]

    def at(self, when: tuple[int, time]) -> datetime:
        day, clock = when
        return datetime.combine(self.days[day], clock, tzinfo=UTC)

    def date_before_the_first_ask(self, session: Session, rows: Iterable[ResourceTable]) -> None:
        at = self.at(BEFORE_THE_FIRST_ASK)
        for row in rows:
            _set(session, type(row), row.id, created_at=at, updated_at=at)

    def date_request(self, session: Session, request_id: int, key: str) -> None:
        at = self.at(ARRIVALS[key])
        _set(session, Request, request_id, created_at=at, updated_at=at)

    def date_decision(self, session: Session, decision: Decision, subject_key: str) -> None:
        """Move the decision, and the first answer of the requests it answered, to when
        it was made."""
        at, recorded = self.at(DECIDED[subject_key]), decision.decided_at
        session.execute(
            update(Request)
            .where(col(Request.first_answered_at) == recorded)
            .values(first_answered_at=at)
        )
        _set(session, Decision, decision.id, decided_at=at)


def _set(session: Session, table: type, row_id: int | None, **times: datetime) -> None:
    # A statement, not attributes set on the row: the flush would audit and announce
    # an update, and this is still the row's creation.
    session.execute(update(table).where(table.id == row_id).values(**times))  # type: ignore[attr-defined]
