"""PostgreSQL stops mid-run: every request gets a prompt 503 problem, and the service is
back by itself once the database is, with no restart."""

import time

import httpx

from tests.ops.server_process import serve
from tests.ops.throwaway_postgres import throwaway_postgres

PROMPT_SECONDS = 10  # "down" must be said quickly, not after a hung request


def answered(server, method: str, path: str, auth: dict[str, str], **kwargs) -> httpx.Response:
    started = time.monotonic()
    response = httpx.request(method, f"{server.url}{path}", headers=auth, timeout=30, **kwargs)
    assert time.monotonic() - started < PROMPT_SECONDS, f"{method} {path} took too long"
    return response


def eventually_ok(server, method: str, path: str, auth: dict[str, str], **kwargs) -> int:
    deadline = time.monotonic() + 60
    while True:
        response = httpx.request(method, f"{server.url}{path}", headers=auth, timeout=30, **kwargs)
        if response.status_code < 300 or time.monotonic() > deadline:
            return response.status_code
        time.sleep(0.5)


def test_requests_get_503_while_postgresql_is_down_and_succeed_once_it_is_back(tmp_path):
    with throwaway_postgres() as cluster, serve(cluster.url, tmp_path) as server:
        auth = server.login()
        new_stakeholder = {"json": {"name": "Ann"}}
        made = answered(server, "POST", "/api/v1/stakeholders", auth, **new_stakeholder)
        assert made.is_success
        # A plain request: written through the driver on the event loop, not the session.
        new_request = {"json": {"title": "SSO", "stakeholder_id": made.json()["id"]}}

        cluster.stop()
        down = {
            "list": answered(server, "GET", "/api/v1/stakeholders", auth),
            "direct read": answered(server, "GET", "/api/v1/requests", auth),
            "write": answered(server, "POST", "/api/v1/stakeholders", auth, **new_stakeholder),
            "direct write": answered(server, "POST", "/api/v1/requests", auth, **new_request),
            "readyz": answered(server, "GET", "/readyz", {}),
        }
        alive = answered(server, "GET", "/healthz", {})

        cluster.start()
        back = {
            "readyz": eventually_ok(server, "GET", "/readyz", {}),
            "direct read": eventually_ok(server, "GET", "/api/v1/requests", auth),
            "write": eventually_ok(server, "POST", "/api/v1/stakeholders", auth, **new_stakeholder),
            "direct write": eventually_ok(server, "POST", "/api/v1/requests", auth, **new_request),
        }

    for name, response in down.items():
        assert response.status_code == 503, (name, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), name
    assert alive.status_code == 200  # the process itself is fine
    assert back == {"readyz": 200, "direct read": 200, "write": 201, "direct write": 201}
