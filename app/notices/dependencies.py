"""Dependencies of the notices routes."""

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep, WriteIntent
from app.core.types import PathId
from app.notices import service
from app.notices.models import Notice


def valid_notice(notice_id: PathId, session: SessionDep, for_update: WriteIntent) -> Notice:
    return service.get(session=session, notice_id=notice_id, for_update=for_update)


ValidNotice = Annotated[Notice, Depends(valid_notice)]
