"""A real uvicorn server with many concurrent writers: no lock errors, no lost writes."""

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests import factories

WRITERS = 64


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def uvicorn_url(database_url, settings, engine, tmp_path_factory) -> Iterator[str]:
    """The app under uvicorn, in its own process, on the suite's migrated database. Its
    log goes to a file, not a pipe: a pipe nobody reads fills up, and the server then
    stalls in its next log line, holding whatever its requests had locked."""
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REQTRACK_MIGRATE_ON_START": "false",
        # It lives for the whole session: its dispatcher would take other tests' deliveries.
        "REQTRACK_WEBHOOK_DISPATCHER_ENABLED": "false",
        "REQTRACK_SECRET_KEY": settings.secret_key.get_secret_value(),
        # Few connections: it holds them all session long, and PostgreSQL's 100 are
        # shared with the tests and server processes running beside it.
        "REQTRACK_DB_POOL_SIZE": "4",
        "REQTRACK_DB_MAX_OVERFLOW": "4",
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)]
    log = tmp_path_factory.mktemp("uvicorn") / "stderr.log"
    with log.open("w") as stderr:
        server = subprocess.Popen([*command, "--no-access-log"], env=env, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("uvicorn did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        assert "database is locked" not in log.read_text()


@pytest.fixture
def server(uvicorn_url, client) -> Iterator[httpx.Client]:
    """An admin's HTTP client to the running server; `client` empties the database after."""
    with httpx.Client(base_url=uvicorn_url, headers=dict(client.headers), timeout=60) as http:
        yield http


def test_many_concurrent_writers_all_succeed(server, client):
    stakeholder = factories.stakeholder(client)
    body = {"title": "Under load", "stakeholder_id": stakeholder["id"]}

    def post(_):
        return server.post("/api/v1/requests", json=body).status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        codes = list(pool.map(post, range(WRITERS * 2)))

    assert codes == [201] * (WRITERS * 2)
    listed = client.get("/api/v1/requests", params={"limit": 200}).json()["items"]
    assert len(listed) == WRITERS * 2


def test_concurrent_patches_of_one_row_all_land_last_write_wins(server, client):
    need = factories.need(client)
    url = f"/api/v1/needs/{need['id']}"

    def patch(n):
        return server.patch(url, json={"theme": f"theme {n}"}).status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        codes = list(pool.map(patch, range(WRITERS)))

    assert codes == [200] * WRITERS
    assert client.get(f"/api/v1/needs/{need['id']}").json()["version"] == 1 + WRITERS


def test_concurrent_patches_with_the_same_if_match_let_exactly_one_through(server, client):
    need = factories.need(client)
    url = f"/api/v1/needs/{need['id']}"

    def patch(n):
        response = server.patch(url, json={"theme": f"theme {n}"}, headers={"If-Match": 'W/"1"'})
        return response.status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        codes = sorted(pool.map(patch, range(WRITERS)))

    assert codes == [200] + [412] * (WRITERS - 1)
    assert client.get(f"/api/v1/needs/{need['id']}").json()["version"] == 2


def test_concurrent_upserts_with_different_bodies_create_once_then_update(server, client):
    stakeholder = factories.stakeholder(client)
    url = "/api/v1/requests/external/zendesk/race"

    def put(n):
        body = {"title": f"version {n}", "stakeholder_id": stakeholder["id"]}
        return server.put(url, json=body).status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        codes = sorted(pool.map(put, range(WRITERS)))

    assert codes == [200] * (WRITERS - 1) + [201], Counter(codes)
    listed = client.get("/api/v1/requests").json()["items"]
    assert len(listed) == 1
    assert listed[0]["version"] == WRITERS
