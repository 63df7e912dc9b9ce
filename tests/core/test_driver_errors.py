"""A database that is not usable right now is a 503 to retry, whatever its driver calls
the failure and whichever path (the session, or the driver used directly) met it."""

import asyncpg
import pytest
from sqlalchemy import event

from tests.core.test_errors import assert_problem

CSV = {"Content-Type": "text/csv"}


def assert_retry_later(response):
    assert_problem(response, 503)
    assert response.headers["retry-after"].isdigit()


def test_a_connection_lost_inside_asyncpg_is_a_503(client, backend, monkeypatch):
    if backend != "postgresql":
        pytest.skip("asyncpg serves PostgreSQL only")

    async def broken(*_args, **_kwargs):
        # What a connection dropped mid-statement left asyncpg in, during an outage.
        raise asyncpg.exceptions.InternalClientError("cannot switch to state 12")

    monkeypatch.setattr(asyncpg.pool.Pool, "fetch", broken)

    assert_retry_later(client.get("/api/v1/requests"))  # the caller's lookup meets it
    # Met by a middleware (may this caller send an import's size?), answered the same.
    upload = client.post("/api/v1/imports/requests", content=b"title\n", headers=CSV)
    assert_retry_later(upload)


def test_a_connection_the_session_finds_closed_is_a_503(client, engine):
    dbapi = engine.dialect.loaded_dbapi

    def closed(*_args, **_kwargs):
        raise dbapi.InterfaceError("the connection is closed")

    event.listen(engine, "before_cursor_execute", closed)
    try:
        response = client.post("/api/v1/stakeholders", json={"name": "Ann"})
    finally:
        event.remove(engine, "before_cursor_execute", closed)

    assert_retry_later(response)
    assert client.get("/api/v1/stakeholders").json()["items"] == []
