"""What the notices tests share."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI

from app.core.config import Settings


@contextmanager
def app_settings(app: FastAPI, **changes: Any) -> Iterator[Settings]:
    """The app serves with these settings changed until the block ends."""
    original = app.state.settings
    app.state.settings = original.model_copy(update=changes)
    try:
        yield app.state.settings
    finally:
        app.state.settings = original
