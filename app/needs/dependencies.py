"""Dependencies of the needs routes (and of other domains' routes on a need)."""

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep, WriteIntent
from app.core.types import PathId
from app.needs import service
from app.needs.models import Need


def valid_need(need_id: PathId, session: SessionDep, for_update: WriteIntent) -> Need:
    return service.get(session=session, need_id=need_id, for_update=for_update)


ValidNeed = Annotated[Need, Depends(valid_need)]
