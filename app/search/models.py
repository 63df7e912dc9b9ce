"""GET /search: what it takes and answers."""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.requests.search import SearchText


class SearchType(StrEnum):
    request = "request"
    need = "need"
    roadmap_item = "roadmap_item"
    stakeholder = "stakeholder"


_ONE_TYPE = "|".join(kind.value for kind in SearchType)
TYPES_PATTERN = f"^({_ONE_TYPE})(,({_ONE_TYPE}))*$"


class SearchParams(BaseModel):
    # A misspelt parameter must not silently search everything.
    model_config = ConfigDict(extra="forbid")

    q: Annotated[
        SearchText,
        Field(
            min_length=1,
            description="Words to find, each as a word or the start of one, English words "
            "stemmed (exports finds export); stop words and punctuation ask nothing.",
        ),
    ]
    types: Annotated[
        str,
        Field(
            pattern=TYPES_PATTERN,
            max_length=200,
            description="What to search, comma-separated: request, need, roadmap_item, "
            "stakeholder (all four when omitted).",
        ),
    ] = ",".join(SearchType)
    limit: Annotated[int, Field(ge=1, le=50, description="The most results.")] = 20

    @property
    def kinds(self) -> list[SearchType]:
        return [SearchType(kind) for kind in dict.fromkeys(self.types.split(","))]


class SearchHit(BaseModel):
    type: SearchType = Field(description="What was found.")
    id: int = Field(description="Its id, under its own path (e.g. /needs/{id}).")
    title: str = Field(
        description="A request's or a roadmap item's title, a need's statement, a "
        "stakeholder's name."
    )
    snippet: str = Field(
        description="HTML: a few words around the matches, the text escaped and each match "
        "in <mark>."
    )
    score: float = Field(
        description="How well it matches: the higher, the better (comparable within one answer)."
    )


class SearchResults(BaseModel):
    items: list[SearchHit] = Field(description="The best matches first.")
