"""The README's "Logging in" and curl tour, taken from the README itself and run as written
(the tour twice) in bash against a real server loaded with the demo: every step answers
what it says, and the demo's own data is left as it was."""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import TEST_PASSWORD
from tests.ops.server_process import serve

README = Path(__file__).resolve().parents[2] / "README.md"
WRITTEN_FOR = "http://127.0.0.1:8000"
# Every curl also reports its status on stderr, whatever the README does with its output.
REPORTING_CURL = """set -uo pipefail
curl() { command curl --write-out '%{stderr}STATUS %{http_code}\\n' "$@"; }
"""
DEMO_COLLECTIONS = ("stakeholders", "requests", "needs", "roadmap-items", "decisions")


def shell_block(section: str) -> str:
    """The first ```sh block under the README's `## <section>` heading."""
    text = README.read_text()
    body = text[text.index(f"\n## {section}\n") :]
    match = re.search(r"```sh\n(.*?)```", body, re.DOTALL)
    assert match, f"no shell block under {section}"
    return match.group(1)


def expected_statuses(script: str) -> list[str]:
    """One per curl, in order: 2xx, or what the comment before it says it answers."""
    expected, announced = [], None
    for line in script.splitlines():
        if line.lstrip().startswith("#"):
            found = re.search(r"\(answers (\d{3})\)", line)
            announced = found.group(1) if found else announced
            continue
        for _ in re.findall(r"(?<![\w-])curl ", line.split(" # ")[0]):
            expected.append(announced or "2xx")
            announced = None
    return expected


def snapshot(url: str, headers: dict[str, str]) -> dict[str, dict[int, dict]]:
    kept = {}
    for collection in DEMO_COLLECTIONS:
        rows, cursor = {}, None
        while True:
            params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            page = httpx.get(f"{url}/api/v1/{collection}", params=params, headers=headers)
            assert page.status_code == 200, page.text
            rows |= {item["id"]: item for item in page.json()["items"]}
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        kept[collection] = rows
    return kept


def load_demo(database_url: str, data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REQTRACK_")}
    env |= {"DATABASE_URL": database_url, "REQTRACK_DATA_DIR": str(data_dir)}
    reqtrack = str(Path(sys.executable).with_name("reqtrack"))
    done = subprocess.run([reqtrack, "demo"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_tour_works_as_written_after_make_demo(own_database_url, tmp_path):
    login, tour = shell_block("Logging in"), shell_block("A short tour with curl")
    with serve(own_database_url, tmp_path, admin_email="admin@localhost") as server:
        load_demo(own_database_url, tmp_path)
        headers = server.login("admin@localhost")
        before = snapshot(server.url, headers)
        # Twice: a reader may run it again, and nothing it makes may clash.
        script = (login + tour + tour).replace(WRITTEN_FOR, server.url)
        script = script.replace("<printed by make run>", TEST_PASSWORD)

        ran = subprocess.run(
            ["bash", "-c", REPORTING_CURL + script], capture_output=True, text=True, timeout=120
        )

        after = snapshot(server.url, headers)
    statuses = re.findall(r"^STATUS (\d{3})$", ran.stderr, re.MULTILINE)
    expected = expected_statuses(login + tour + tour)
    assert len(statuses) == len(expected), ran.stderr
    for step, (status, wanted) in enumerate(zip(statuses, expected, strict=True)):
        ok = status.startswith("2") if wanted == "2xx" else status == wanted
        assert ok, f"curl number {step + 1} answered {status}, not {wanted}:\n{ran.stdout}"
    assert "Traceback" not in ran.stderr, ran.stderr
    assert ran.stdout.count('"name":"Dana Reyes"') >= 2
    for collection, rows in before.items():
        assert rows, f"the demo made no {collection}"
        assert {i: after[collection][i] for i in rows} == rows, (
            f"the tour changed demo {collection}"
        )


def test_the_expected_statuses_follow_the_comments():
    script = "curl a\n# stale (answers 412)\nX=$(curl b | f)\ncurl c  # not curl d\n"

    assert expected_statuses(script) == ["2xx", "412", "2xx"]
