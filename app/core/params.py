"""Checks on query strings that parameter models cannot see."""

from fastapi import Request

from app.core.errors import InvalidParameter


async def single_valued_query(request: Request) -> None:
    """Refuse ?status=a&status=b: only the last would be read, the rest silently dropped."""
    params = request.query_params
    for name in params:
        if len(params.getlist(name)) > 1:
            raise InvalidParameter(
                f"Query parameter {name!r} is given more than once; give it once.",
                loc=["query", name],
            )
