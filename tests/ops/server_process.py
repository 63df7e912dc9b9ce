"""`reqtrack serve` as a real process, for the tests of what operators see."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import TEST_PASSWORD, TEST_SECRET_KEY

ADMIN_EMAIL = "ops@example.com"


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def login(self, email: str = ADMIN_EMAIL) -> dict[str, str]:
        response = httpx.post(
            f"{self.url}/api/v1/auth/token",
            data={"username": email, "password": TEST_PASSWORD},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(
    url: str, process: subprocess.Popen[bytes], log: Path, seconds: float
) -> None:
    """Until /healthz answers 200; the process dying or the time running out fails, with
    its output."""
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"the server did not start:\n{log.read_text()}"
        time.sleep(0.1)


def operator_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """A reqtrack process's environment, as an operator configures one: REQTRACK_*
    variables (this test run's own left out), `settings` among them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REQTRACK_")}
    return (
        env
        | {
            "DATABASE_URL": database_url,
            "REQTRACK_ENVIRONMENT": "production",
            "REQTRACK_SECRET_KEY": TEST_SECRET_KEY,
            "REQTRACK_DATA_DIR": str(data_dir),
        }
        | {f"REQTRACK_{name.upper()}": value for name, value in settings.items()}
    )


@contextmanager
def serve(
    database_url: str, data_dir: Path, *, port: int | None = None, **settings: str
) -> Iterator[Served]:
    """`reqtrack serve` on `port` (a free one unless given: a test that must name its URL
    in the settings, as public_url, picks it first)."""
    port = port or free_port()
    admin = {"admin_email": ADMIN_EMAIL, "admin_password": TEST_PASSWORD}
    env = operator_env(database_url, data_dir, **(admin | settings))
    command = [str(Path(sys.executable).with_name("reqtrack")), "serve", "--port", str(port)]
    # Its output to a file: a pipe nobody reads would fill up and stall the server.
    log = data_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_healthy(served.url, process, log, seconds=30)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
