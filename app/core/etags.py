"""Versions, ETags and If-Match: optimistic concurrency for every resource."""

from typing import Annotated

from fastapi import Header, Response
from pydantic import BaseModel

from app.core.errors import PreconditionFailed

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description='ETag from an earlier response (W/"<version>"); 412 if it changed since.',
    ),
]


def etag_for(version: int) -> str:
    return f'W/"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def model_response(
    model: BaseModel, *, etag: int | None = None, status_code: int = 200
) -> Response:
    """A model answered as JSON (with its ETag when it is one resource), serialized once:
    a route returning this skips FastAPI's second validation of a model already valid."""
    headers = None if etag is None else {"ETag": etag_for(etag)}
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def check_if_match(if_match: str | None, version: int) -> None:
    """Refuse the write when the client's copy is outdated; absent header: last write wins."""
    if if_match is None:
        return
    # Clients echo the weak tag they were given; compare the opaque part only.
    tags = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in tags or f'"{version}"' in tags:
        return
    raise PreconditionFailed(
        f"If-Match does not match the current version ({etag_for(version)}); "
        "fetch the resource again and reapply your change."
    )


def set_created(response: Response, location: str, version: int) -> None:
    """Headers of a 201: where the new resource lives, and its ETag."""
    response.headers["Location"] = location
    set_etag(response, version)
