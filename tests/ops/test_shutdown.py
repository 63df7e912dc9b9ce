"""SIGTERM (docker stop, a rolling deploy): requests in flight finish, then the process
exits cleanly."""

import signal
import threading
import time

import httpx

from tests.ops.server_process import serve


def test_a_request_in_flight_finishes_after_sigterm_and_the_server_exits_cleanly(tmp_path):
    with serve(f"sqlite:///{tmp_path / 'shutdown.db'}", tmp_path) as server:
        auth = server.login()
        stakeholder = httpx.post(
            f"{server.url}/api/v1/stakeholders",
            json={"name": "Ann", "email": "ann@example.com"},
            headers=auth,
        ).json()
        signalled = threading.Event()

        def slow_upload():
            # The file arrives in two parts; SIGTERM comes between them.
            yield b"title,stakeholder_id\nFirst," + str(stakeholder["id"]).encode() + b"\n"
            signalled.wait(timeout=10)
            time.sleep(0.5)
            yield b"Second," + str(stakeholder["id"]).encode() + b"\n"

        result: dict[str, httpx.Response] = {}

        def upload() -> None:
            result["import"] = httpx.post(
                f"{server.url}/api/v1/imports/requests",
                content=slow_upload(),
                headers=auth | {"Content-Type": "text/csv"},
                timeout=30,
            )

        uploader = threading.Thread(target=upload)
        uploader.start()
        time.sleep(0.5)  # the upload has started
        server.process.send_signal(signal.SIGTERM)
        signalled.set()
        uploader.join(timeout=30)
        exit_code = server.process.wait(timeout=30)

    assert result["import"].status_code == 201, result["import"].text
    assert result["import"].json()["created"] == 2
    # uvicorn exits by re-raising the signal once it has shut down cleanly.
    assert exit_code in (0, -signal.SIGTERM)
    log = server.log.read_text()
    assert "Application shutdown complete" in log  # the lifespan (and dispatcher) stopped
    assert "Traceback" not in log
