"""The README and docs/ are the project's own documentation: every link stays inside the
repository (or on the server a reader runs), and every file it names exists."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and <scheme://...>
LINK = re.compile(r"\]\(([^)\s]+)\)|<([a-z][a-z0-9+.-]*://[^>\s]+)>")
OWN_SERVER = re.compile(r"https?://(127\.0\.0\.1|localhost)(:\d+)?(/|$)")


def links(document: Path) -> list[str]:
    return [inline or auto for inline, auto in LINK.findall(document.read_text())]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_link_stays_in_the_repository(document):
    for target in links(document):
        if "://" in target:
            assert OWN_SERVER.match(target), f"{document.name} links outside: {target}"
            continue
        path = target.split("#", 1)[0]
        if not path:  # an anchor in the same document
            continue
        resolved = (document.parent / path).resolve()
        assert resolved.is_relative_to(ROOT), f"{document.name} points outside: {target}"
        assert resolved.exists(), f"{document.name} names a missing file: {target}"


def test_the_check_sees_links_of_both_kinds():
    sample = ROOT / "README.md"
    assert any(t.startswith("docs/") for t in links(sample))
    assert any(t.startswith("http://127.0.0.1") for t in links(sample))
