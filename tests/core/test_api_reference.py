"""docs/api.md keeps up with the code: every event type the server sends and every
problem type it answers is described there."""

from pathlib import Path

import pytest

import app.main  # noqa: F401  (every domain registers its events and errors)
from app.core.errors import ProblemError
from app.events.types import known_event_types

REFERENCE = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()


def every_subclass(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from every_subclass(sub)


@pytest.mark.parametrize("event_type", known_event_types())
def test_every_event_type_is_described(event_type):
    assert f"`{event_type}`" in REFERENCE


@pytest.mark.parametrize("slug", sorted({c.slug for c in every_subclass(ProblemError)}))
def test_every_problem_type_is_described(slug):
    assert f"| `{slug}` |" in REFERENCE
