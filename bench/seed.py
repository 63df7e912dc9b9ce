"""A realistic dataset at any scale, written through the bulk path (Core inserts in batches).

Proportions per 1 000 requests: 50 stakeholders, 20 needs, 5 roadmap items; half the
requests are triaged into a need, a third of the needs are decided (mostly accepted
into a roadmap item), one request in twenty is declined on its own. Text is product words
and a long tail of rare ones, so a search word matches about 2 % of requests. One roadmap
item is the trace scenario's: a need with 1 000 requests accepted into it.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, update
from sqlalchemy import select as select_columns
from sqlmodel import col

from app.core.db import open_session
from app.core.types import utcnow
from app.decisions.models import Decision
from app.needs.models import Need
from app.notices.answers import answers_in_force
from app.notices.models import Notice, NoticeChannel, NoticeItem, NoticeStatus
from app.requests.models import Channel, Request, Urgency
from app.roadmap.models import RoadmapItem, Visibility
from app.stakeholders.models import Stakeholder, StakeholderGroup

BATCH = 5_000
TRACED_REQUESTS = 1_000
WORDS = [
    "export",
    "sso",
    "okta",
    "saml",
    "invoice",
    "billing",
    "report",
    "dashboard",
    "api",
    "webhook",
    "mobile",
    "offline",
    "audit",
    "permissions",
    "search",
    "filter",
    "csv",
    "integration",
    "salesforce",
    "zendesk",
    "slack",
    "latency",
]


@dataclass(frozen=True)
class Seeded:
    requests: int
    stakeholders: int
    needs: int
    roadmap_items: int
    decisions: int
    traced_item_id: int
    search_word: str


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_rows(engine: Engine, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    for batch in _batches(rows):
        with engine.begin() as connection:
            connection.execute(insert(table), batch)


# Besides the product words above, a long tail like real prose: most words are rare.
RARE_WORDS = [
    f"{a}{b}{c}"
    for a in "bdfgklmnprstvz"
    for b in ("a", "e", "i", "o", "u", "ai", "ou")
    for c in ("ber", "dan", "kin", "lor", "mesh", "pix", "ran", "tul", "vex", "zor")
]
SEARCH_WORD = RARE_WORDS[7]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(
        rng.choice(WORDS) if rng.random() < 0.5 else rng.choice(RARE_WORDS) for _ in range(words)
    )


def settle_after_bulk_load(engine: Engine) -> None:
    """As after any bulk load: planner statistics, or the first queries plan blind; on
    PostgreSQL also the visibility map and hint bits, or the first scenarios to read the
    new rows write them, and autovacuum does it later, during whichever is measured then."""
    statement = "VACUUM (ANALYZE)" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(statement)


def seed(engine: Engine, *, requests: int, seed: int = 7) -> Seeded:
    """Fill an empty, migrated database; ids start at 1 in every table."""
    rng = random.Random(seed)  # noqa: S311  (a reproducible dataset, not a secret)
    now = utcnow()
    stakeholders = max(10, requests // 20)
    needs = max(5, requests // 50) + 1
    items = max(3, requests // 200) + 1
    groups = list(StakeholderGroup)
    insert_rows(
        engine,
        Stakeholder,
        (
            {
                "name": f"Stakeholder {i}",
                "email": f"person{i}@example.com",
                "group": rng.choice(groups),
                "organization": f"Org {i % 97}",
                "weight": rng.choice([1.0, 1.0, 2.0, 3.0]),
            }
            for i in range(1, stakeholders + 1)
        ),
    )
    insert_rows(
        engine, RoadmapItem, ({"title": f"Item {i}: {_text(rng, 3)}"} for i in range(1, items + 1))
    )
    insert_rows(
        engine, Need, ({"statement": f"Need {i}: {_text(rng, 5)}"} for i in range(1, needs + 1))
    )
    traced_need = needs  # the last need carries the trace scenario's 1 000 requests
    channels, urgencies = list(Channel), list(Urgency)
    decided = [traced_need, *range(1, needs, 3)]
    decided_set = set(decided)
    # One request in twenty (outside the traced need) is answered on its own: declined.
    answered = range(min(TRACED_REQUESTS, requests // 2) + 1, requests + 1, 20)

    def request_rows() -> Iterator[dict[str, Any]]:
        for i in range(1, requests + 1):
            if i <= min(TRACED_REQUESTS, requests // 2):
                need_id: int | None = traced_need
            else:
                need_id = rng.randint(1, needs - 1) if rng.random() < 0.5 else None
            yield {
                "title": f"Request {i}: {_text(rng, 4)}",
                "description": _text(rng, 30),
                "stakeholder_id": rng.randint(1, stakeholders),
                "channel": rng.choice(channels),
                "customer": f"Customer {rng.randint(1, 500)}",
                "revenue_at_stake": Decimal(rng.randint(0, 200_000)),
                "urgency": rng.choice(urgencies),
                "need_id": need_id,
                # As the app records it: an answered request knows when (the reports read
                # it). Written with the row, as a restored database has it: an UPDATE
                # afterwards left a fifth of the table dead until VACUUM.
                "first_answered_at": now if need_id in decided_set or i in answered else None,
                "created_at": now - timedelta(minutes=requests - i),
                "updated_at": now - timedelta(minutes=requests - i),
            }

    insert_rows(engine, Request, request_rows())

    def decision(need_id: int) -> dict[str, Any]:
        accepted = need_id == traced_need or rng.random() < 0.7
        item = items if need_id == traced_need else rng.randint(1, items - 1)
        return {
            "need_id": need_id,
            "outcome": "accepted" if accepted else "declined",
            "roadmap_item_id": item if accepted else None,
            "why": _text(rng, 8),
            "stakeholder_message": _text(rng, 6),
            "decided_at": now,
            "is_current": True,
        }

    own_decisions = (
        {
            "request_id": request_id,
            "outcome": "declined",
            "why": _text(rng, 8),
            "stakeholder_message": _text(rng, 6),
            "decided_at": now,
            "is_current": True,
        }
        for request_id in answered
    )
    insert_rows(engine, Decision, (decision(need_id) for need_id in decided))
    insert_rows(engine, Decision, own_decisions)
    settle_after_bulk_load(engine)
    return Seeded(
        requests=requests,
        stakeholders=stakeholders,
        needs=needs,
        roadmap_items=items,
        decisions=len(decided) + len(answered),
        traced_item_id=items,
        search_word=SEARCH_WORD,
    )


PORTAL_REQUESTS = 500


def seed_portal(engine: Engine, seeded: Seeded) -> int:
    """The portal scenario's stakeholder (its id): 500 requests spread through the table,
    one sent notice telling the answers of those decided, and every other roadmap item
    shown on the portal."""
    now = utcnow()
    step = max(1, seeded.requests // PORTAL_REQUESTS)
    with open_session(engine, write=True) as session:
        stakeholder = Stakeholder(name="Portal Stakeholder", email="portal@example.com")
        session.add(stakeholder)
        session.flush()
        assert stakeholder.id is not None
        theirs = select_columns(col(Request.id)).where(col(Request.id) % step == 0)
        ids = list(session.execute(theirs.limit(PORTAL_REQUESTS)).scalars())
        session.execute(
            update(Request).where(col(Request.id).in_(ids)).values(stakeholder_id=stakeholder.id)
        )
        session.execute(
            update(RoadmapItem)
            .where(col(RoadmapItem.id) % 2 == 1)
            .values(visibility=Visibility.portal, public_title="A public title", horizon="next")
        )
        notice = Notice(
            stakeholder_id=stakeholder.id,
            status=NoticeStatus.sent,
            channel=NoticeChannel.email,
            send_after=now,
            sent_at=now,
            next_attempt_at=now,
            attempts_allowed=1,
        )
        session.add(notice)
        session.flush()
        told = [
            NoticeItem(notice_id=notice.id, request_id=found.request_id, **found.answer.columns())
            for found in answers_in_force(session, ids)
            if found.answer is not None
        ]
        session.add_all(told)
        session.commit()
    settle_after_bulk_load(engine)
    return stakeholder.id
