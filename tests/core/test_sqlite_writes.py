"""SQLite writes run on the event loop when the write lock is free, and wait for it in a
worker thread when another process holds it: a waiting write never stalls the others."""

import shutil
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from tests.conftest import TEST_SECRET_KEY, app_on


def test_a_write_waiting_for_another_process_stalls_no_other_request(cli_database, monkeypatch):
    assert CliRunner().invoke(cli, ["demo"]).exit_code == 0  # data, and user 1 an admin
    monkeypatch.setenv("REQTRACK_SECRET_KEY", TEST_SECRET_KEY)
    get_settings.cache_clear()
    app = app_on(cli_database)
    other_process = sqlite3.connect(str(cli_database.url.database), isolation_level=None)

    with TestClient(app) as api, ThreadPoolExecutor(1) as elsewhere:
        api.headers["Authorization"] = "Bearer " + app.state.token_issuer.issue("user:1")
        stakeholder = api.get("/api/v1/stakeholders").json()["items"][0]
        body = {"title": "Waits its turn", "stakeholder_id": stakeholder["id"]}
        other_process.execute("BEGIN IMMEDIATE")  # SQLite's write lock, held elsewhere
        posted = elsewhere.submit(api.post, "/api/v1/requests", json=body)
        time.sleep(0.3)
        started = time.monotonic()
        listed = api.get("/api/v1/requests")
        listed_in = time.monotonic() - started
        waiting_meanwhile = not posted.done()
        other_process.rollback()
        created = posted.result(timeout=10)
        mine = api.get(created.headers["Location"])

    other_process.close()
    assert waiting_meanwhile
    assert listed.status_code == 200
    assert listed_in < 1.0
    assert created.status_code == 201
    assert mine.json()["title"] == "Waits its turn"


def test_the_database_file_alone_soon_holds_what_was_written(cli_database, monkeypatch, tmp_path):
    """The server copies SQLite's log back into the database file in the background, so a
    copy of that file alone (a backup that leaves the -wal file behind) is a moment old,
    not as old as the last time the log filled up."""
    assert CliRunner().invoke(cli, ["demo"]).exit_code == 0  # data, and user 1 an admin
    monkeypatch.setenv("REQTRACK_SECRET_KEY", TEST_SECRET_KEY)
    get_settings.cache_clear()
    database_file = Path(str(cli_database.url.database))
    copied = tmp_path / "copy.db"

    def in_the_file_alone(name: str) -> bool:
        shutil.copyfile(database_file, copied)
        with closing(sqlite3.connect(copied)) as copy:
            found = copy.execute("SELECT 1 FROM stakeholder WHERE name = ?", (name,))
            return found.fetchone() is not None

    with TestClient(app_on(cli_database)) as api:
        api.headers["Authorization"] = "Bearer " + api.app.state.token_issuer.issue("user:1")
        created = api.post("/api/v1/stakeholders", json={"name": "Written a moment ago"})
        assert created.status_code == 201
        deadline = time.monotonic() + 5
        while not in_the_file_alone("Written a moment ago") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert in_the_file_alone("Written a moment ago")
