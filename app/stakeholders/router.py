"""HTTP routes for /stakeholders."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.dependencies import RequireContributor, RequireManager
from app.core.db import SessionDep
from app.core.etags import IfMatch, check_if_match, set_created, set_etag
from app.core.locations import location_of
from app.idempotency.dependencies import Idempotent
from app.stakeholders import service
from app.stakeholders.dependencies import ValidStakeholder
from app.stakeholders.models import (
    StakeholderCreate,
    StakeholderPage,
    StakeholderRead,
    StakeholderUpdate,
)
from app.stakeholders.service import StakeholderFilters

router = APIRouter(prefix="/stakeholders", tags=["stakeholders"])


@router.get("")
def list_stakeholders(
    session: SessionDep, filters: Annotated[StakeholderFilters, Query()]
) -> StakeholderPage:
    stakeholders, next_cursor = service.list_stakeholders(session=session, filters=filters)
    return StakeholderPage(
        items=[StakeholderRead.model_validate(s) for s in stakeholders], next_cursor=next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[RequireContributor, Idempotent])
def create_stakeholder(
    body: StakeholderCreate, session: SessionDep, request: Request, response: Response
) -> StakeholderRead:
    stakeholder = service.create(session=session, data=body)
    location = location_of(request, "get_stakeholder", stakeholder_id=stakeholder.id)
    set_created(response, location, stakeholder.version)
    return StakeholderRead.model_validate(stakeholder)


@router.get("/{stakeholder_id}")
def get_stakeholder(stakeholder: ValidStakeholder, response: Response) -> StakeholderRead:
    set_etag(response, stakeholder.version)
    return StakeholderRead.model_validate(stakeholder)


@router.patch("/{stakeholder_id}", dependencies=[RequireManager])
def update_stakeholder(
    stakeholder: ValidStakeholder,
    body: StakeholderUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> StakeholderRead:
    check_if_match(if_match, stakeholder.version)
    stakeholder = service.update(session=session, stakeholder=stakeholder, data=body)
    set_etag(response, stakeholder.version)
    return StakeholderRead.model_validate(stakeholder)


@router.delete(
    "/{stakeholder_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[RequireManager]
)
def delete_stakeholder(
    stakeholder: ValidStakeholder, session: SessionDep, if_match: IfMatch = None
) -> None:
    check_if_match(if_match, stakeholder.version)
    service.delete(session=session, stakeholder=stakeholder)
