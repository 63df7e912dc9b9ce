"""Dependencies of the decisions routes (and of other domains' routes on a decision)."""

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep
from app.core.types import PathId
from app.decisions import service
from app.decisions.models import Decision


def valid_decision(decision_id: PathId, session: SessionDep) -> Decision:
    return service.get(session=session, decision_id=decision_id)


ValidDecision = Annotated[Decision, Depends(valid_decision)]
