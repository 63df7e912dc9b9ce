"""`make run PORT=… HOST=…` serves where it is told, as the README says."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.ops.server_process import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_serves_on_the_port_and_host_given(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REQTRACK_")}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "REQTRACK_DATA_DIR": str(tmp_path),
        "REQTRACK_ADMIN_PASSWORD": "correct horse battery staple",
    }
    # The suite's own virtual environment: make finds it installed and only serves.
    command = ["make", "--no-print-directory", "run", f"PORT={port}", "HOST=0.0.0.0"]
    command.append(f"VENV={sys.prefix}")
    log = tmp_path / "make-run.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make and the server it starts stop together
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, log, seconds=60)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert f"reqtrack on http://0.0.0.0:{port}" in log.read_text()
