"""`reqtrack webhooks run` as real processes: killed mid-run, and two at once."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from app.core.config import Settings
from tests import factories
from tests.conftest import TEST_SECRET_KEY
from tests.factories import API
from tests.webhooks.helpers import FAST, subscribe
from tests.webhooks.receiver import Receiver

# These tests are about processes, not timeouts: a receiver slowed by a loaded machine
# (the suite runs on two workers) must not time out and be sent the event again.
PROCESS_TIMINGS = FAST | {"webhook_timeout_seconds": 2.0, "webhook_lease_seconds": 3.0}
# Where no dispatcher is killed, no lease needs to run out: a long one keeps a send and its
# recording that a loaded machine slows past 3 s from being taken over and sent again.
NOTHING_KILLED = PROCESS_TIMINGS | {"webhook_lease_seconds": 60.0}


def _environment(settings: Settings, data_dir: Path, timings: dict[str, float]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REQTRACK_")}
    env |= {f"REQTRACK_{name.upper()}": str(value) for name, value in timings.items()}
    env |= {
        "DATABASE_URL": settings.database_url,
        "REQTRACK_ENVIRONMENT": "test",
        "REQTRACK_SECRET_KEY": TEST_SECRET_KEY,
        "REQTRACK_DATA_DIR": str(data_dir),
    }
    return env


@contextmanager
def dispatcher_process(
    settings: Settings, data_dir: Path, timings: dict[str, float] = PROCESS_TIMINGS
) -> Iterator[subprocess.Popen[bytes]]:
    command = [str(Path(sys.executable).with_name("reqtrack")), "webhooks", "run"]
    process = subprocess.Popen(
        command,
        env=_environment(settings, data_dir, timings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Ready once it says so: its signal handlers are in place.
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert b"webhooks: sending" in ready, ready
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)


def _without_repeats(ids: list[int]) -> list[int]:
    """A re-sent delivery (its sender was killed) arrives twice in a row, nothing else."""
    return [i for n, i in enumerate(ids) if n == 0 or ids[n - 1] != i]


def test_killing_the_dispatcher_mid_run_loses_nothing_and_keeps_the_order(
    client: TestClient, receiver: Receiver, settings: Settings, tmp_path: Path
) -> None:
    subscribe(client, receiver.url + "/a")
    subscribe(client, receiver.url + "/b", events=["stakeholder.*"])
    receiver.delay_seconds = 0.03  # slow enough to be killed with a delivery in flight
    for _ in range(15):
        factories.stakeholder(client)

    with dispatcher_process(settings, tmp_path) as first:
        wait_for(lambda: len(receiver.received) >= 8)
        first.send_signal(signal.SIGKILL)
    for _ in range(10):  # writes go on while no dispatcher runs
        factories.need(client)
    events = client.get(f"{API}/events", params={"limit": 200}).json()["items"]
    expected = {
        "/hooks/a": [e["id"] for e in events],
        "/hooks/b": [e["id"] for e in events if e["type"].startswith("stakeholder.")],
    }
    with dispatcher_process(settings, tmp_path) as second:
        wait_for(lambda: all(set(receiver.event_ids(p)) == set(ids) for p, ids in expected.items()))
        second.send_signal(signal.SIGTERM)
        exit_code = second.wait(timeout=10)
        assert exit_code == 0, second.stdout.read() if second.stdout else exit_code

    for path, ids in expected.items():
        assert _without_repeats(receiver.event_ids(path)) == ids


def test_two_dispatchers_share_the_work_and_send_each_event_once(
    client: TestClient, receiver: Receiver, settings: Settings, tmp_path: Path
) -> None:
    subscribe(client, receiver.url + "/a")
    subscribe(client, receiver.url + "/b")
    subscribe(client, receiver.url + "/c")

    with (
        dispatcher_process(settings, tmp_path, NOTHING_KILLED),
        dispatcher_process(settings, tmp_path, NOTHING_KILLED),
    ):
        for _ in range(20):  # written while both dispatchers run
            factories.stakeholder(client)
        ids = [e["id"] for e in client.get(f"{API}/events", params={"limit": 200}).json()["items"]]
        wait_for(lambda: len(receiver.received) >= 3 * len(ids))
        time.sleep(0.3)  # a duplicate would arrive now

    for path in ("/hooks/a", "/hooks/b", "/hooks/c"):
        assert receiver.event_ids(path) == ids
