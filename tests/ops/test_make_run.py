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
    # 127.0.0.2: another loopback address, so HOST is seen to be used, yet nothing is
    # exposed.
    command = ["make", "--no-print-directory", "run", f"PORT={port}", "HOST=127.0.0.2"]
    # The suite's own virtual environment, taken as installed: make only serves.
    command += [f"VENV={sys.prefix}", "-o", f"{sys.prefix}/.installed"]
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
        wait_until_healthy(f"http://127.0.0.2:{port}", process, log, seconds=60)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert f"reqtrack on http://127.0.0.2:{port}" in log.read_text()


def test_hosts_and_ports_exported_by_the_shell_do_not_move_make_run(tmp_path):
    # tcsh exports HOST (this machine's name); containers often export PORT.
    env = os.environ | {"HOST": "buildbox", "PORT": "3000"}
    command = ["make", "--no-print-directory", "--dry-run", "run", f"VENV={sys.prefix}"]
    command += ["-o", f"{sys.prefix}/.installed"]

    planned = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    assert planned.returncode == 0, planned.stderr
    assert "serve --host 127.0.0.1 --port 8000" in planned.stdout
