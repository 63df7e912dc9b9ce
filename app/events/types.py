"""Event types, and the patterns that choose among them: the feed's `type` and a
webhook's `events` take the same ones (`decision.recorded`, `decision.*`, `*`)."""

import re
from typing import Annotated

import pydantic
from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# `<entity>.<verb>`, `<entity>.*` or `*`.
PATTERN_SHAPE = re.compile(r"^(\*|[a-z_]{1,32}\.(\*|[a-z_]{1,32}))$")

# Filled as domains register what they publish (app.events.outbox), at import.
_known: set[str] = set()


def register(entity: str, verbs: list[str]) -> None:
    _known.update(f"{entity}.{verb}" for verb in verbs)


def known_event_types() -> list[str]:
    return sorted(_known)


def check_pattern(pattern: str) -> str:
    """The pattern, if it can choose an event this server sends; a misspelt one would
    choose nothing, silently, for ever."""
    known = ", ".join(known_event_types())
    if not PATTERN_SHAPE.fullmatch(pattern):
        raise ValueError(f"must be an event type, <entity>.* or *; the types are {known}")
    if not types_matching(pattern):
        raise ValueError(f"{pattern} is not an event type; the types are {known}")
    return pattern


def event_patterns() -> list[str]:
    """Every pattern that chooses something: `*`, each `<entity>.*`, each type."""
    entities = sorted({known.split(".", 1)[0] for known in _known})
    return ["*", *(f"{entity}.*" for entity in entities), *known_event_types()]


PATTERN_MEANING = (
    "An event type (request.created), `<entity>.*` for every event of that entity "
    "(request.*), or `*` for every event."
)


class _ListedInTheDocs:
    """The schema lists the patterns (an enum) rather than their shape (a regex), and
    says what they mean: a generated client offers the choices. Built with the OpenAPI
    document, once every domain has registered its events."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.pop("pattern", None)
        schema.pop("maxLength", None)
        return schema | {"enum": event_patterns(), "description": PATTERN_MEANING}


EventPattern = Annotated[
    str, pydantic.Field(max_length=64), AfterValidator(check_pattern), _ListedInTheDocs()
]


def types_matching(pattern: str) -> list[str]:
    return [known for known in known_event_types() if matches([pattern], known)]


def matches(patterns: list[str], event_type: str) -> bool:
    entity = event_type.split(".", 1)[0]
    return any(p in ("*", event_type, f"{entity}.*") for p in patterns)
