"""Mounts every domain router under /api/v1; all but logging in need a bearer token."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import iter_route_contexts

from app.audit.router import router as audit_router
from app.auth.dependencies import bearer_token, current_principal
from app.auth.models import Principal
from app.auth.router import login_router, me_router, tokens_router, users_router
from app.core.direct import direct_reads
from app.core.params import single_valued_query
from app.deciding.router import router as deciding_router
from app.decisions.router import router as decisions_router
from app.events.router import router as events_router
from app.hot_reads import HotAnswer, HotRoute, hot_routes
from app.needs.router import router as needs_router
from app.notices.router import router as notices_router
from app.notices.router import stakeholder_view
from app.portal.router import router as portal_router
from app.reports.router import router as reports_router
from app.reports.router import trace_router
from app.requests.router import answer_request, get_request
from app.requests.router import router as requests_router
from app.roadmap.router import router as roadmap_router
from app.search.router import router as search_router
from app.stakeholders.router import router as stakeholders_router
from app.transfer.router import router as transfer_router
from app.triage.router import router as triage_router
from app.webhooks.router import router as webhooks_router

PREFIX = "/api/v1"
PUBLIC = [Depends(single_valued_query)]


async def checked_caller(
    request: Request, token: Annotated[str | None, Depends(bearer_token)]
) -> Principal:
    """What every protected route checks first, as one dependency (FastAPI's solving of
    each costs about what a lookup by key does): one value per query parameter, then who
    is calling."""
    await single_valued_query(request)
    return await current_principal(request, token)


# Every domain router listed here answers 401 without a valid token: one place, no route
# forgets. (Idempotency-Key is a dependency of each POST route: reads need no session.)
PROTECTED = [Depends(checked_caller)]
# Busiest first: a request is matched against each route in turn, in this order
# (for a cached read, matching the routes before it is no small part of its time).
PROTECTED_ROUTERS = (
    requests_router,
    deciding_router,
    decisions_router,
    needs_router,
    roadmap_router,
    trace_router,
    reports_router,
    stakeholders_router,
    stakeholder_view,
    events_router,
    me_router,
    users_router,
    tokens_router,
    audit_router,
    webhooks_router,
    notices_router,
    portal_router,
    transfer_router,
    triage_router,
    search_router,
)

# Answered before routing when plain (app/hot_reads.py): endpoint -> its answer. The hot
# path authenticates the caller and reads through the direct readers itself; a route that
# depends on anything else (a role, a session) cannot be hot.
HOT_READS: dict[Callable[..., Any], HotAnswer] = {get_request: answer_request}
HOT_PATH_DOES_ITSELF = (checked_caller, bearer_token, direct_reads)


def hot_reads_of(app: FastAPI) -> list[HotRoute]:
    return hot_routes(app, HOT_READS, may_skip=HOT_PATH_DOES_ITSELF)


# Called without a bearer token: logging in, and what leads to a login.
PUBLIC_PATHS = frozenset(
    PREFIX + context.path for context in iter_route_contexts(login_router.routes) if context.path
)


def include_api(app: FastAPI) -> None:
    """Each domain router straight under the app: routing walks one level of included
    routers instead of three, which shows in a cached read's time."""
    app.include_router(login_router, prefix=PREFIX, dependencies=PUBLIC)
    for domain_router in PROTECTED_ROUTERS:
        app.include_router(domain_router, prefix=PREFIX, dependencies=PROTECTED)
