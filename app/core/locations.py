"""Where a new resource lives: the Location of a 201, built from its route's path."""

from typing import Any
from weakref import WeakKeyDictionary

from fastapi import Request
from fastapi.routing import iter_route_contexts


def location_of(request: Request, route_name: str, **ids: object) -> str:
    """The absolute URL of the named route for these ids, like `request.url_for`.

    Starlette's url_for tries every route in turn, raising on each that does not match
    (a good part of a POST's time); the paths of an app are known once it is built.
    """
    paths = _paths.get(request.app)
    if paths is None:
        paths = _paths[request.app] = {
            context.name: context.path_format
            for context in iter_route_contexts(request.app.routes)
            if context.name and context.path_format
        }
    return _base_url(request) + paths[route_name].format(**ids)


def _base_url(request: Request) -> str:
    """request.base_url, which parses the scope anew each time, kept per way of being
    addressed (a few: the host names and schemes the service is reached by)."""
    scope = request.scope
    key = (
        scope["scheme"],
        tuple(scope.get("server") or ()),  # a list under some servers
        scope.get("app_root_path", scope.get("root_path")),
        request.headers.get("host"),
    )
    base = _bases.get(key)
    if base is None:
        if len(_bases) >= MAX_BASES:  # Host is the client's to choose: stay bounded
            _bases.clear()
        base = _bases[key] = str(request.base_url).rstrip("/")
    return base


MAX_BASES = 64
_paths: "WeakKeyDictionary[Any, dict[str, str]]" = WeakKeyDictionary()
_bases: dict[tuple[Any, ...], str] = {}
