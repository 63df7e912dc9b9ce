"""Mounts every domain router under /api/v1."""

from fastapi import APIRouter, Depends

from app.core.params import single_valued_query
from app.needs.router import router as needs_router
from app.requests.router import router as requests_router
from app.roadmap.router import router as roadmap_router
from app.stakeholders.router import router as stakeholders_router

# Routes that will need a bearer token once auth lands: add its dependency here, once.
protected_router = APIRouter()
protected_router.include_router(stakeholders_router)
protected_router.include_router(requests_router)
protected_router.include_router(needs_router)
protected_router.include_router(roadmap_router)

api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(single_valued_query)])
api_router.include_router(protected_router)
