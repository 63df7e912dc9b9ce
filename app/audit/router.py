"""HTTP routes for /audit: who changed what, for managers and admins."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.models import AuditEntryRead, AuditPage
from app.audit.service import AuditFilters
from app.auth.dependencies import RequireManager
from app.core.db import SessionDep

router = APIRouter(prefix="/audit", tags=["audit"], dependencies=[RequireManager])


@router.get("")
def list_audit_entries(session: SessionDep, filters: Annotated[AuditFilters, Query()]) -> AuditPage:
    """Newest first; filter by entity and id, actor, or action."""
    entries, next_cursor = service.list_entries(session=session, filters=filters)
    return AuditPage(
        items=[AuditEntryRead.model_validate(e) for e in entries], next_cursor=next_cursor
    )
