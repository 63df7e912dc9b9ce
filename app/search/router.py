"""HTTP routes for /search: one query across requests, needs, roadmap items and
stakeholders."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.direct import DirectReadsDep
from app.search import service
from app.search.models import SearchParams, SearchResults

router = APIRouter(prefix="/search", tags=["search"])


@router.get("")
async def search(reads: DirectReadsDep, params: Annotated[SearchParams, Query()]) -> SearchResults:
    """The best matches of `q` among the types asked for, each with a highlighted snippet.
    English words are stemmed on both databases; a `q` of only stop words or punctuation
    finds nothing."""
    return await service.search(reads=reads, params=params)
