"""Mail bodies from templates: stored text escaped in HTML only, an operator's template
in place of ours, and the templates shipped with the package."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from app.core.config import Settings
from app.mail.templates import render

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<script>alert(1)</script> & "quotes"'
CONTEXT = {"name": "Zoë", "message": HOSTILE, "subject": "Décision : SSO"}


def test_stored_text_is_escaped_in_the_html_and_kept_in_the_text():
    text, html = render("example", CONTEXT, settings=Settings())

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in html
    assert HOSTILE in text
    assert "&lt;" not in text


def test_a_template_in_the_templates_folder_wins_over_the_packaged_one(tmp_path, monkeypatch):
    (tmp_path / "example.txt").write_text("Dear {{ name }}: {{ message }}\n", encoding="utf-8")
    monkeypatch.setenv("REQTRACK_TEMPLATES_DIR", str(tmp_path))

    text, html = render("example", CONTEXT, settings=Settings())

    assert text == f"Dear Zoë: {HOSTILE}\n"
    assert html.startswith("<!doctype html>")  # not overridden: still the package's


def test_an_overriding_html_template_escapes_too(tmp_path):
    (tmp_path / "example.html").write_text("<p>{{ message }}</p>", encoding="utf-8")

    _, html = render("example", CONTEXT, settings=Settings(templates_dir=tmp_path))

    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;</p>"


def test_a_value_the_template_needs_but_was_not_given_fails_rather_than_blanks():
    with pytest.raises(UndefinedError, match="'message' is undefined"):
        render("example", {"name": "Zoë", "subject": "S"}, settings=Settings())


@pytest.mark.parametrize(
    "package", sorted(p.parent.name for p in (ROOT / "app").glob("*/templates"))
)
def test_every_packaged_template_is_package_data_an_installed_wheel_carries(package):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"].get(f"app.{package}", [])
    folder = ROOT / "app" / package
    templates = [p.relative_to(folder).as_posix() for p in (folder / "templates").iterdir()]

    assert templates
    assert [name for name in templates if not any(fnmatch(name, p) for p in patterns)] == []
