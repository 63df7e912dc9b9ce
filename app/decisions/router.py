"""HTTP routes for /decisions: find and list them. (Recording them: app/deciding.)"""

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.decisions import service
from app.decisions.dependencies import ValidDecision
from app.decisions.models import DecisionPage, DecisionRead
from app.decisions.service import DecisionFilters

router = APIRouter(tags=["decisions"])


@router.get("/decisions")
def list_decisions(
    session: SessionDep, filters: Annotated[DecisionFilters, Query()]
) -> DecisionPage:
    decisions, next_cursor = service.list_decisions(session=session, filters=filters)
    return DecisionPage(items=decisions, next_cursor=next_cursor)


@router.get("/decisions/{decision_id}")
def get_decision(decision: ValidDecision, session: SessionDep) -> DecisionRead:
    return service.to_read(session=session, decision=decision)
