"""What `reqtrack serve` reads from a client, and how long it waits: bounded, so no client
can hold the server's memory or its database with what it sends."""

import contextlib
import json
import secrets
import select
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from jose import jwt

from app.auth.models import Role
from tests.conftest import TEST_SECRET_KEY
from tests.ops.server_process import Served, serve


def rss_mib(server: Served) -> float:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kib) / 1024


def raw_request(server: Served, head: bytes, body: bytes = b"") -> bytes:
    """Sends one request as bytes; what came back, even if the server cut it short."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        # Refused part-way, the answer may still be there to read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(head + body)
        return read_answer(connection)


def read_answer(connection: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := connection.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


def get_with_token(token: str) -> bytes:
    return (
        f"GET /api/v1/requests HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()


def test_headers_past_the_limit_get_431_problem_json_and_the_connection_is_closed(tmp_path):
    with serve(f"sqlite:///{tmp_path / 'limits.db'}", tmp_path) as server:
        answer = raw_request(server, get_with_token("x" * 100_000))
        head, _, body = answer.partition(b"\r\n\r\n")

        assert head.startswith(b"HTTP/1.1 431 ")
        assert b"content-type: application/problem+json" in head.lower()
        assert json.loads(body)["type"] == "urn:reqtrack:problem:header-too-large"
        # Headers just under the limit are read and answered as usual.
        small = raw_request(server, get_with_token("x" * 60_000))
        assert small.startswith(b"HTTP/1.1 401 ")
        assert b"\r\nserver:" not in small.lower()  # no need to say what serves it
        # A head whose last line break arrives with a large body is not the body's size.
        body = json.dumps({"name": "x" * 150_000}).encode()
        head = (
            "POST /api/v1/stakeholders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r"
        ).encode()
        address = urlsplit(server.url)
        with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
            connection.sendall(head)
            time.sleep(0.2)  # the server reads the head up to its last byte
            connection.sendall(b"\n" + body)
            split = read_answer(connection)
        assert split.startswith(b"HTTP/1.1 401 "), split[:100]
        # Empty lines before a request line are skipped by the parser, not a head's end.
        after_empty_lines = raw_request(server, b"\r\n\r\n" + get_with_token("x" * 100_000))
        assert after_empty_lines.startswith(b"HTTP/1.1 431 "), after_empty_lines[:100]


def test_300_distinct_megabyte_tokens_leave_the_servers_memory_where_it_was(tmp_path):
    with serve(f"sqlite:///{tmp_path / 'limits.db'}", tmp_path) as server:
        raw_request(server, get_with_token("warm-up"))
        before = rss_mib(server)
        for _ in range(300):
            raw_request(server, get_with_token(secrets.token_urlsafe(768 * 1024)))
        # Forged tokens short enough to be read are checked, and not one of them is kept.
        for _ in range(300):
            forged = f"eyJhbGciOiJIUzI1NiJ9.{secrets.token_urlsafe(6000)}.sig"
            assert raw_request(server, get_with_token(forged)).startswith(b"HTTP/1.1 401 ")
        after = rss_mib(server)

        assert after - before < 50, f"RSS {before:.0f} -> {after:.0f} MiB"
        assert server.login()  # and it still serves


def test_a_signed_token_longer_than_any_we_issue_is_refused_unread(app, anonymous, users):
    claims = jwt.get_unverified_claims(app.state.token_issuer.issue(f"user:{users[Role.admin].id}"))
    long = jwt.encode({**claims, "padding": "A" * 9000}, TEST_SECRET_KEY, algorithm="HS256")

    response = anonymous.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {long}"})

    assert response.status_code == 401


def test_a_failed_token_check_is_not_remembered(app):
    issuer = app.state.token_issuer
    kept = len(issuer._verified)

    for _ in range(10):
        assert issuer.subject_of(f"eyJhbGciOiJIUzI1NiJ9.{secrets.token_urlsafe(64)}.x") is None

    assert len(issuer._verified) == kept


def test_writes_answer_within_a_second_while_slow_uploads_are_in_progress(
    own_database_url, tmp_path
):
    with serve(own_database_url, tmp_path, body_read_timeout_seconds="6") as server:
        auth = server.login()
        stakeholder = httpx.post(
            f"{server.url}/api/v1/stakeholders", json={"name": "Ana"}, headers=auth
        ).json()
        answers: list[bytes] = []
        started = threading.Barrier(11)

        def slow_upload() -> None:
            address = urlsplit(server.url)
            with socket.create_connection((address.hostname, address.port)) as connection:
                connection.sendall(
                    b"POST /api/v1/imports/requests HTTP/1.1\r\nHost: x\r\n"
                    + f"Authorization: {auth['Authorization']}\r\n".encode()
                    + b"Content-Type: text/csv\r\nContent-Length: 1000\r\n\r\ntitle,"
                )
                started.wait()
                try:
                    for byte in b"stakeholder_id\n" * 60:
                        # As a careful client does: once the server has answered, stop
                        # sending. Bytes sent after it closed make its side reset the
                        # connection, and a reset can drop the answer before it is read.
                        if select.select([connection], [], [], 0)[0]:
                            break
                        connection.sendall(bytes([byte]))
                        time.sleep(0.2)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server gave up on it, as it should
                answers.append(read_answer(connection))

        uploads = [threading.Thread(target=slow_upload) for _ in range(10)]
        for upload in uploads:
            upload.start()
        started.wait()
        time.sleep(1)  # the uploads are well under way

        with httpx.Client(base_url=f"{server.url}/api/v1", headers=auth, timeout=1) as client:
            created = client.post(
                "/requests", json={"title": "Faster", "stakeholder_id": stakeholder["id"]}
            )
            assert created.status_code == 201
            changed = client.patch(f"/requests/{created.json()['id']}", json={"urgency": "high"})
            assert changed.status_code == 200
            login = client.post(
                "/auth/token", data={"username": "ops@example.com", "password": "wrong" * 3}
            )
            assert login.status_code == 401

        for upload in uploads:
            upload.join(timeout=30)
        assert len(answers) == 10
        assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers), answers[0][:200]
        assert httpx.get(f"{server.url}/api/v1/requests", headers=auth).json()["items"][0][
            "title"
        ] == ("Faster")
