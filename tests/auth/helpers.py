"""Accounts, tokens and clients for the auth tests, and checks that a refused call is a
problem and changed nothing."""

import itertools
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import SQLModel

from app.auth.models import Role
from tests import factories

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
PASSWORD = "matrix password: purple elephant 7"
_unique = itertools.count(1)


def new_user_body(role: Role, password: str = PASSWORD) -> dict[str, Any]:
    return {
        "email": f"matrix.user{next(_unique)}@example.com",
        "display_name": "Matrix user",
        "role": role.value,
        "password": password,
    }


def create_user(admin: TestClient, role: Role, password: str = PASSWORD) -> dict[str, Any]:
    return factories.created(admin, "/users", new_user_body(role, password))


def create_service_token(admin: TestClient, role: Role) -> dict[str, Any]:
    """The creation response: id, name, role and the token, shown this once."""
    body = {"name": f"matrix token {next(_unique)}", "role": role.value}
    return factories.created(admin, "/service-tokens", body)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def client_with(app: FastAPI, authorization: str | None) -> TestClient:
    """A client sending this Authorization header, or none at all."""
    test_client = TestClient(app)  # no `with`: the lifespan would dispose the shared engine
    if authorization is not None:
        test_client.headers["Authorization"] = authorization
    return test_client


def user_client(app: FastAPI, user_id: int) -> TestClient:
    return client_with(app, bearer(app.state.token_issuer.issue(f"user:{user_id}")))


def log_in(app: FastAPI, email: str, password: str) -> Any:
    """POST /auth/token with the OAuth2 password form."""
    return TestClient(app).post(f"{API}/auth/token", data={"username": email, "password": password})


def access_token(app: FastAPI, email: str, password: str) -> str:
    response = log_in(app, email, password)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def assert_accepted(app: FastAPI, token: str) -> None:
    """The token works now: so when it is refused later, it is for the reason under test."""
    response = client_with(app, bearer(token)).get(f"{API}/auth/me")
    assert response.status_code == 200, response.text


def database_rows(engine: Engine, *, ignoring: tuple[str, ...] = ()) -> dict[str, list[Any]]:
    """Every row of every table: equal before and after means nothing changed at all."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(table.select().order_by(*table.primary_key.columns))
            ]
            for table in SQLModel.metadata.sorted_tables
            if table.name not in ignoring
        }


def stored_value(engine: Engine, table_name: str, column: str, row_id: int) -> str:
    """A column of a row as the database holds it (secrets the API never shows)."""
    table = SQLModel.metadata.tables[table_name]
    with engine.connect() as connection:
        stored: str = connection.execute(
            table.select().with_only_columns(table.c[column]).where(table.c.id == row_id)
        ).scalar_one()
    return stored


def stored_password_hash(engine: Engine, user_id: int) -> str:
    return stored_value(engine, "user_account", "password_hash", user_id)


def problem_mismatch(response: Any, status: int) -> str | None:
    """Why the response is not an RFC 9457 problem with this status; None when it is."""
    if response.status_code != status:
        return f"answered {response.status_code} instead of {status}: {response.text[:300]}"
    if response.headers.get("content-type") != PROBLEM_JSON:
        return f"content-type is {response.headers.get('content-type')!r}, not {PROBLEM_JSON}"
    if response.json().get("status") != status:
        return f"problem body has the wrong status: {response.text[:300]}"
    return None


def assert_problem(response: Any, status: int, what: str) -> None:
    reason = problem_mismatch(response, status)
    assert reason is None, f"{what}: {reason}"


def forged_reset_tokens(token: str, other_user_id: int) -> list[str]:
    """What could be tried with a real reset token in hand: another user's, a later expiry,
    a broken signature, odd digits, markup, sheer length. None may open anything."""
    user_id, expires, signature = token.split(".")
    return [
        f"{other_user_id}.{expires}.{signature}",  # another user's
        f"{user_id}.{int(expires) + 3600}.{signature}",  # a later expiry
        f"{user_id}.{expires}.{signature[:-2]}AA",
        f"{user_id}.{expires}",
        "",
        "0.1.x",
        f"99999999999999999999.{expires}.{signature}",
        "9" * 5000,  # more digits than int() takes
        f"{user_id}.{'9' * 5000}.{signature}",
        f"{'9' * 5000}.{expires}.{signature}",
        f"².{expires}.{signature}",  # a digit to str.isdigit, not to int()
        f"{user_id}.²³.{signature}",
        f'{user_id}.{expires}.{signature}"><script>alert(1)</script>',
        token + "x" * 1100,
    ]
