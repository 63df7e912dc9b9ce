"""Dependencies of the roadmap routes (and of other domains' routes on a roadmap item)."""

from typing import Annotated

from fastapi import Depends

from app.core.db import SessionDep, WriteIntent
from app.core.types import PathId
from app.roadmap import service
from app.roadmap.models import RoadmapItem


def valid_roadmap_item(
    roadmap_item_id: PathId, session: SessionDep, for_update: WriteIntent
) -> RoadmapItem:
    return service.get(session=session, roadmap_item_id=roadmap_item_id, for_update=for_update)


ValidRoadmapItem = Annotated[RoadmapItem, Depends(valid_roadmap_item)]
