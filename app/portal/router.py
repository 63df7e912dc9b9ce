"""HTTP routes for a stakeholder's portal links (managers)."""

from datetime import datetime

import pydantic
from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from app.auth.dependencies import RequireManager
from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.idempotency.dependencies import Idempotent
from app.stakeholders.dependencies import ValidStakeholder
from app.stakeholders.portal_links import portal_link, revoke_portal_links

router = APIRouter(prefix="/stakeholders", tags=["portal"], dependencies=[RequireManager])


class PortalLinkRead(BaseModel):
    url: str = pydantic.Field(description="The stakeholder's page; anyone holding it can open it.")
    expires_at: datetime = pydantic.Field(description="When the link stops working.")


@router.post(
    "/{stakeholder_id}/portal-links", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
def create_portal_link(stakeholder: ValidStakeholder, settings: SettingsDep) -> PortalLinkRead:
    """A new signed link to the stakeholder's page, valid REQTRACK_PORTAL_LINK_DAYS."""
    link = portal_link(settings, stakeholder)
    return PortalLinkRead(url=link.url, expires_at=link.expires_at)


@router.delete("/{stakeholder_id}/portal-links", status_code=status.HTTP_204_NO_CONTENT)
def revoke_portal_links_of(stakeholder: ValidStakeholder, session: SessionDep) -> Response:
    """Every link of this stakeholder stops working at once, in every server process."""
    revoke_portal_links(session, stakeholder)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
