"""What the notices tests share."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, update
from sqlmodel import col

from app.core.config import Settings
from app.core.types import utcnow
from app.notices.models import GATHERING, Notice, NoticeStatus


@contextmanager
def app_settings(app: FastAPI, **changes: Any) -> Iterator[Settings]:
    """The app serves with these settings changed until the block ends."""
    original = app.state.settings
    app.state.settings = original.model_copy(update=changes)
    try:
        yield app.state.settings
    finally:
        app.state.settings = original


def told_everything(engine: Engine) -> None:
    """As if the sender had run: every gathering notice went out, now."""
    with engine.begin() as connection:
        connection.execute(
            update(Notice)
            .where(col(Notice.status).in_(GATHERING))
            .values(status=NoticeStatus.sent, sent_at=utcnow())
        )
