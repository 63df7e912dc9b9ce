"""Why is this on the roadmap: the needs and requests accepted into an item, and their
demand. A fixed number of queries, however many requests are linked."""

from sqlalchemy import literal
from sqlmodel import Field, Session, SQLModel, col, select

from app.decisions.models import Decision, DecisionRead, Outcome
from app.decisions.reads import to_decision_reads
from app.needs.demand import rollup
from app.needs.models import Demand, Need, NeedRead
from app.needs.service import to_reads as need_reads
from app.requests.effective import accepted_into
from app.requests.models import Request, RequestRead
from app.requests.service import to_reads as request_reads
from app.roadmap.models import RoadmapItem, RoadmapItemRead
from app.stakeholders import service as stakeholder_service
from app.stakeholders.models import StakeholderRead


class TracedNeed(SQLModel):
    need: NeedRead = Field(description="A need accepted into the item, with its demand.")
    decision: DecisionRead = Field(description="Its current decision: the acceptance.")


class TracedRequest(SQLModel):
    request: RequestRead = Field(
        description="A request accepted into the item, with its effective decision."
    )
    stakeholder: StakeholderRead = Field(description="Who asked for it.")


class Trace(SQLModel):
    roadmap_item: RoadmapItemRead = Field(description="The item traced.")
    needs: list[TracedNeed] = Field(
        description="The needs whose current decision accepts them into the item, by id."
    )
    requests: list[TracedRequest] = Field(
        description="The requests whose effective decision (their own, else their need's) "
        "accepts them into the item, by id."
    )
    demand: Demand = Field(description="The demand of those requests together.")


def trace(*, session: Session, item: RoadmapItem) -> Trace:
    assert item.id is not None
    return Trace(
        roadmap_item=RoadmapItemRead.model_validate(item),
        needs=_accepted_needs(session, item.id),
        requests=_accepted_requests(session, item.id),
        demand=rollup(session, literal(item.id), accepted_into(item.id)).get(item.id, Demand()),
    )


def _accepted_needs(session: Session, item_id: int) -> list[TracedNeed]:
    rows = session.exec(
        select(Need, Decision)
        .join(Decision, col(Decision.need_id) == col(Need.id))
        .where(
            col(Decision.is_current),
            col(Decision.outcome) == Outcome.accepted,
            col(Decision.roadmap_item_id) == item_id,
        )
        .order_by(col(Need.id))
    ).all()
    needs = need_reads(session=session, needs=[need for need, _ in rows])
    decisions = to_decision_reads(session, [decision for _, decision in rows])
    return [TracedNeed(need=n, decision=d) for n, d in zip(needs, decisions, strict=True)]


def _accepted_requests(session: Session, item_id: int) -> list[TracedRequest]:
    requests = session.exec(
        select(Request).where(accepted_into(item_id)).order_by(col(Request.id))
    ).all()
    stakeholder_ids = {r.stakeholder_id for r in requests}
    stakeholders = stakeholder_service.reads_by_id(session=session, ids=stakeholder_ids)
    return [
        TracedRequest(request=read, stakeholder=stakeholders[read.stakeholder_id])
        for read in request_reads(session=session, requests=requests)
    ]
