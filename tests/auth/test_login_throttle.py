"""Login throttling: bounded input, per (e-mail, address) lockouts, a per-address cap,
atomic counting under a parallel burst, and expired rows pruned."""

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select
from sqlmodel import SQLModel

from app.auth import service
from app.auth.models import LoginThrottle
from app.core.config import Settings
from app.core.types import utcnow
from tests.conftest import TEST_PASSWORD, app_on

TOKEN_URL = "/api/v1/auth/token"
ATTACKER = ("203.0.113.66", 40000)
USER_AT_HOME = ("198.51.100.7", 40000)
BURST = 40


def login(client: TestClient, email: str, password: str) -> httpx.Response:
    return client.post(TOKEN_URL, data={"username": email, "password": password})


def from_address(app: FastAPI, address: tuple[str, int]) -> TestClient:
    return TestClient(app, client=address)


def app_with(engine: Engine, settings: Settings, **changes: Any) -> FastAPI:
    return app_on(engine, settings.model_copy(update=changes))


def throttled_emails(engine: Engine) -> list[str]:
    table = SQLModel.metadata.tables["login_throttle"]
    with engine.connect() as connection:
        return sorted(connection.execute(select(table.c.email)).scalars())


# --- 6. bounded input, bounded table ------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    [
        "a" * 1000 + "@example.com",
        "b" * 100_000,
        "nul\x00@example.com",
        "   ",
    ],
    ids=["1k", "100k", "NUL", "blank"],
)
def test_a_username_no_account_can_have_is_422_and_nothing_is_stored(anonymous, engine, username):
    response = login(anonymous, username, "wrong password")

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert throttled_emails(engine) == []


def test_a_username_longer_once_lower_cased_is_counted_under_a_bounded_key(anonymous, engine):
    username = "İ" * 300 + "@example.com"  # 312 characters, 612 once lower-cased

    assert login(anonymous, username, "wrong password").status_code == 401
    assert max(map(len, throttled_emails(engine))) <= 320


def test_an_overlong_password_is_422(anonymous, engine):
    response = login(anonymous, "viewer@example.com", "p" * 100_000)

    assert response.status_code == 422
    assert throttled_emails(engine) == []


def test_the_longest_email_an_account_can_have_still_logs_in(anonymous, client):
    email = "x" * 64 + "@" + "d" * 63 + "." + "d" * 63 + "." + "d" * 53 + ".example"
    assert len(email) == 254  # the longest an address may be (RFC 5321)
    created = client.post(
        "/api/v1/users",
        json={"email": email, "display_name": "Long", "password": TEST_PASSWORD},
    )
    assert created.status_code == 201, created.text

    assert login(anonymous, email.upper(), TEST_PASSWORD).status_code == 200
    assert login(anonymous, email, "wrong").status_code == 401


def test_expired_throttle_rows_are_pruned_by_later_logins(anonymous, engine, settings):
    app = app_with(engine, settings, login_lockout_seconds=1)
    client = TestClient(app)
    for email in ("old1@example.com", "old2@example.com"):
        assert login(client, email, "wrong").status_code == 401
    assert {"old1@example.com", "old2@example.com"} <= set(throttled_emails(engine))

    time.sleep(1.1)
    assert login(client, "new@example.com", "wrong").status_code == 401

    remaining = throttled_emails(engine)
    assert "new@example.com" in remaining
    assert not {"old1@example.com", "old2@example.com"} & set(remaining)


def test_pruning_takes_a_bounded_batch_and_keeps_live_rows(anonymous, engine):
    now = utcnow()

    def row(email: str, expires_at: datetime) -> dict[str, Any]:
        return {
            "email": email,
            "client_address": "192.0.2.1",
            "failures": 5,
            "expires_at": expires_at,
        }

    expired = [
        row(f"gone{n}@example.com", now - timedelta(seconds=n + 1))
        for n in range(service.PRUNED_PER_LOGIN + 20)
    ]
    with engine.begin() as connection:
        connection.execute(insert(LoginThrottle), expired)
        connection.execute(
            insert(LoginThrottle), [row("live@example.com", now + timedelta(hours=1))]
        )

    def stored() -> int:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(LoginThrottle)).scalar()

    assert login(anonymous, "someone@example.com", "wrong").status_code == 401
    # This login's own rows (its pair, its address) came; a batch of expired ones went.
    assert stored() == len(expired) + 1 + 2 - service.PRUNED_PER_LOGIN
    assert login(anonymous, "someone@example.com", "wrong").status_code == 401
    assert throttled_emails(engine) == ["", "live@example.com", "someone@example.com"]


# --- 7. per (e-mail, address), per address, in a burst -----------------------------------


def test_an_attacker_elsewhere_cannot_lock_the_user_out(anonymous, app, users, settings):
    attacker, user = from_address(app, ATTACKER), from_address(app, USER_AT_HOME)
    for _ in range(settings.login_max_failures):
        assert login(attacker, "admin@example.com", "guess").status_code == 401

    refused = login(attacker, "admin@example.com", TEST_PASSWORD)

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert login(user, "admin@example.com", TEST_PASSWORD).status_code == 200
    # The pair stays locked: the user's success elsewhere does not unlock the attacker.
    assert login(attacker, "admin@example.com", TEST_PASSWORD).status_code == 429


def test_addresses_of_one_ipv6_64_count_as_one(anonymous, app, users, settings):
    """A client holds its /64 whole: a fresh address for every guess is no fresh count."""
    for n in range(settings.login_max_failures):
        guesser = from_address(app, (f"2001:db8:1:2::{n + 1:x}", 40000))
        assert login(guesser, "admin@example.com", "guess").status_code == 401

    same_64 = from_address(app, ("2001:db8:1:2:ffff::9", 40000))
    next_64 = from_address(app, ("2001:db8:1:3::1", 40000))

    assert login(same_64, "admin@example.com", TEST_PASSWORD).status_code == 429
    assert login(next_64, "admin@example.com", TEST_PASSWORD).status_code == 200


def test_one_address_trying_many_accounts_is_capped(anonymous, engine, settings, users):
    app = app_with(engine, settings, login_max_failures_per_address=3)
    sprayer, elsewhere = from_address(app, ATTACKER), from_address(app, USER_AT_HOME)
    for n in range(3):
        assert login(sprayer, f"victim{n}@example.com", "Summer2026!").status_code == 401

    refused = login(sprayer, "manager@example.com", TEST_PASSWORD)

    assert refused.status_code == 429  # not even a right password is checked
    assert int(refused.headers["Retry-After"]) > 0
    assert login(elsewhere, "victim0@example.com", "Summer2026!").status_code == 401
    assert login(elsewhere, "manager@example.com", TEST_PASSWORD).status_code == 200


def test_a_success_does_not_count_against_its_address(anonymous, engine, settings, users):
    app = app_with(engine, settings, login_max_failures_per_address=3)
    office = from_address(app, USER_AT_HOME)
    assert login(office, "typo1@example.com", "wrong").status_code == 401
    assert login(office, "typo2@example.com", "wrong").status_code == 401
    assert login(office, "viewer@example.com", TEST_PASSWORD).status_code == 200

    assert login(office, "typo3@example.com", "wrong").status_code == 401  # 3 failures
    assert login(office, "typo4@example.com", "wrong").status_code == 429


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn in a thread of this process: requests are handled in parallel
    (the sync login route in uvicorn's worker threads), and what the app calls can be
    counted. No lifespan: it would migrate and dispose the suite's shared engine."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        host, port = listening.getsockname()
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()


@pytest.fixture
def evaluated_passwords(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the login checks, in order."""
    checked: list[str] = []
    lock = threading.Lock()
    verify = service.verify_password

    def counting(password: str, password_hash: str | None) -> bool:
        with lock:
            checked.append(password)
        return verify(password, password_hash)

    monkeypatch.setattr(service, "verify_password", counting)
    return checked


def test_a_parallel_burst_gets_no_more_guesses_than_the_limit(
    anonymous, client, engine, settings, evaluated_passwords
):
    client.post(
        "/api/v1/users",
        json={"email": "fresh@example.com", "display_name": "Fresh", "password": TEST_PASSWORD},
    )
    guesses = [f"guess number {n}" for n in range(BURST)]
    start = threading.Barrier(BURST)

    with served(app_on(engine, settings)) as url, httpx.Client(base_url=url, timeout=60) as http:

        def guess(password: str) -> int:
            start.wait()
            form = {"username": "fresh@example.com", "password": password}
            return http.post(TOKEN_URL, data=form).status_code

        with ThreadPoolExecutor(BURST) as pool:
            codes = Counter(pool.map(guess, guesses))

    assert len(evaluated_passwords) == settings.login_max_failures
    assert codes == {401: settings.login_max_failures, 429: BURST - settings.login_max_failures}
