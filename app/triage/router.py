"""HTTP routes for triage: filing requests under needs in bulk."""

from fastapi import APIRouter

from app.auth.dependencies import RequireManager
from app.core.db import SessionDep, write_and_commit
from app.idempotency.dependencies import Idempotent
from app.triage.bulk import TriageBatch, TriageResult, triage

router = APIRouter(prefix="/requests", tags=["triage"])


@router.post("/triage", dependencies=[RequireManager, Idempotent])
async def triage_requests(body: TriageBatch, session: SessionDep) -> TriageResult:
    """File up to 500 requests under needs in one transaction: all or nothing. Each is
    written as a PATCH of its need_id would write it (version, audit entry, event); any
    bad item (a request or need that does not exist, a need merged away, an if_match
    that no longer matches, a request named twice) refuses the whole batch with a 422
    naming each by index."""
    return await write_and_commit(
        session, lambda: triage(session=session, batch=body), grows_with_data=True
    )
