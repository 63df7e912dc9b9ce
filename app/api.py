"""Mounts every domain router under /api/v1; all but logging in need a bearer token."""

from fastapi import APIRouter, Depends

from app.audit.router import router as audit_router
from app.auth.dependencies import current_principal
from app.auth.router import login_router, me_router, tokens_router, users_router
from app.core.params import single_valued_query
from app.decisions.router import router as decisions_router
from app.events import publishers as _publishers  # noqa: F401  (registers what events carry)
from app.events.router import router as events_router
from app.idempotency.dependencies import idempotency_key
from app.needs.router import router as needs_router
from app.reports.router import router as reports_router
from app.requests.router import router as requests_router
from app.requests.router import stakeholder_view
from app.roadmap.router import router as roadmap_router
from app.stakeholders.router import router as stakeholders_router
from app.transfer.router import router as transfer_router
from app.webhooks.router import router as webhooks_router

# Every route added here answers 401 without a valid token: one place, no route forgets.
protected_router = APIRouter(dependencies=[Depends(current_principal), Depends(idempotency_key)])
for domain_router in (
    stakeholders_router,
    stakeholder_view,
    requests_router,
    needs_router,
    roadmap_router,
    decisions_router,
    reports_router,
    events_router,
    me_router,
    users_router,
    tokens_router,
    audit_router,
    webhooks_router,
    transfer_router,
):
    protected_router.include_router(domain_router)

api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(single_valued_query)])
api_router.include_router(login_router)
api_router.include_router(protected_router)
