"""Dependencies of the stakeholders routes (and of other domains' routes on a stakeholder)."""

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep, WriteIntent
from app.core.types import PathId
from app.stakeholders import service
from app.stakeholders.models import Stakeholder


def valid_stakeholder(
    stakeholder_id: PathId, session: SessionDep, for_update: WriteIntent
) -> Stakeholder:
    return service.get(session=session, stakeholder_id=stakeholder_id, for_update=for_update)


ValidStakeholder = Annotated[Stakeholder, Depends(valid_stakeholder)]
