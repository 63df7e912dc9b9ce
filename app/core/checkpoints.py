"""SQLite's write-ahead log copied back into the database by a thread of the server.

Left to SQLite, the commit that takes the log past its threshold does the checkpoint,
and on this server that commit often runs on the event loop (app/core/db.py,
`write_and_commit`): every request waits while pages are copied, which shows in the
slowest answers and in how many writes a second the server takes. A thread of its own
checkpoints a few times a second instead, off the loop and outside the GIL, and copies
each page once for the many commits that changed it meanwhile. SQLite's own checkpoint
stays as a safety net, at a threshold this thread keeps the log from reaching.
"""

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url

from app.core.config import Settings

logger = logging.getLogger(__name__)
# How often the log is copied back; a busy second writes tens of MB of log.
CHECKPOINT_INTERVAL_SECONDS = 0.25
# Pages past which a committing connection checkpoints itself (SQLite's default: 1000).
AUTOCHECKPOINT_PAGES = 10_000


@contextmanager
def checkpoints_in_background(settings: Settings) -> Iterator[None]:
    """While the block runs, a SQLite database's log is checkpointed by a thread (nothing
    to do on PostgreSQL or an in-memory database)."""
    path = make_url(settings.database_url).database
    if not settings.is_sqlite or not path or path == ":memory:":
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_checkpoint_until, args=(path, stop), name="sqlite-checkpoints", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _checkpoint_until(path: str, stop: threading.Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        while not stop.wait(CHECKPOINT_INTERVAL_SECONDS):
            try:
                # PASSIVE: never waits for readers or writers; what it cannot copy now,
                # the next one does.
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:  # locked or gone for a moment: try again later
                logger.warning("sqlite checkpoint failed: %s", exc)
    finally:
        connection.close()
