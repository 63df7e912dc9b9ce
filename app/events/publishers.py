"""What each domain's events carry: the resource as the API answers it."""

from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from app.decisions.effective import to_decision_reads
from app.decisions.models import Decision
from app.events.outbox import publish
from app.needs.models import Need
from app.needs.service import to_reads as need_reads
from app.requests.models import Request
from app.requests.service import to_reads as request_reads
from app.roadmap.models import RoadmapItem, RoadmapItemRead
from app.stakeholders.models import Stakeholder, StakeholderRead


def _rows(session: Session, model: Any, ids: list[int]) -> list[Any]:
    return list(session.execute(select(model).where(col(model.id).in_(ids))).scalars())


def _stakeholders(session: Session, ids: list[int]) -> dict[int, Any]:
    return {s.id: StakeholderRead.model_validate(s) for s in _rows(session, Stakeholder, ids)}


def _roadmap_items(session: Session, ids: list[int]) -> dict[int, Any]:
    return {i.id: RoadmapItemRead.model_validate(i) for i in _rows(session, RoadmapItem, ids)}


def _requests(session: Session, ids: list[int]) -> dict[int, Any]:
    return {r.id: r for r in request_reads(session=session, requests=_rows(session, Request, ids))}  # type: ignore[arg-type]


def _needs(session: Session, ids: list[int]) -> dict[int, Any]:
    return {n.id: n for n in need_reads(session=session, needs=_rows(session, Need, ids))}  # type: ignore[arg-type]


def _decisions(session: Session, ids: list[int]) -> dict[int, Any]:
    return {d.id: d for d in to_decision_reads(session, _rows(session, Decision, ids))}  # type: ignore[arg-type]


publish("stakeholder", "stakeholder", _stakeholders)
publish("request", "request", _requests)
publish("need", "need", _needs)
publish("roadmap_item", "roadmap_item", _roadmap_items)
# A decision is recorded, never edited: its supersession shows in the next one.
publish("decision", "decision", _decisions, verbs={"created": "recorded", "updated": None})
