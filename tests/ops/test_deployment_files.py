"""Dockerfile and docker-compose.yml: Docker cannot run here, so they are linted and read.

hadolint checks the Dockerfile's form; these tests check what a deployment relies on.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))

    linted = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)

    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_image_is_built_in_stages_and_runs_unprivileged():
    instructions = _instructions()
    stages = [args for name, args in instructions if name == "FROM"]
    final = instructions[max(i for i, (name, _) in enumerate(instructions) if name == "FROM") :]
    users = [args for name, args in final if name == "USER"]

    assert len(stages) >= 2
    assert "slim" in stages[-1]
    assert users, "the final stage must not run as root"
    assert users[-1].split(":")[0] not in {"0", "root"}


def test_the_image_checks_healthz_migrates_on_start_and_keeps_data_in_a_volume():
    instructions = dict(_instructions())  # the last of each kind

    assert "/healthz" in instructions["HEALTHCHECK"]
    assert '"reqtrack", "serve"' in instructions["CMD"]  # serve migrates before listening
    assert "/data" in instructions["VOLUME"]
    assert "sqlite:////data/" in instructions["ENV"]


def test_every_file_the_dockerfile_copies_is_in_the_repository_and_not_ignored():
    ignored = (ROOT / ".dockerignore").read_text().split()
    copied = [
        source
        for name, args in _instructions()
        if name == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    ]

    assert copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") not in ignored, source


def test_compose_runs_the_app_against_a_healthy_postgresql_with_secrets_from_outside():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app, db = compose["services"]["app"], compose["services"]["db"]

    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "@db:5432/" in app["environment"]["DATABASE_URL"]
    assert app["environment"]["REQTRACK_ENVIRONMENT"] == "production"
    for name in ("REQTRACK_SECRET_KEY", "REQTRACK_ADMIN_PASSWORD"):
        assert app["environment"][name].startswith("${"), f"{name} must come from outside"
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${")
    assert any(volume.startswith("pgdata:") for volume in db["volumes"])
    assert "pgdata" in compose["volumes"]
