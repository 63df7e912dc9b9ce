"""/docs and /redoc work on a server without internet: every script, style and icon they
load comes from this server."""

import re
from html.parser import HTMLParser

import pytest

PAGES = ["/docs", "/redoc"]


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("src", "href", "spec-url")]


def references(html):
    parser = _References()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("page", PAGES)
def test_the_page_names_no_other_host(client, page):
    response = client.get(page)

    assert response.status_code == 200
    # No absolute URL anywhere: not in a tag, not in the inline script.
    assert not re.search(r"(https?:)?//[a-z0-9]", response.text, re.IGNORECASE), response.text
    assert references(response.text)


@pytest.mark.parametrize("page", PAGES)
def test_everything_the_page_loads_is_served_here(client, page):
    for reference in references(client.get(page).text):
        response = client.get(reference)

        assert response.status_code == 200, reference
        assert len(response.content) > 1000, reference


def test_swagger_ui_asks_no_outside_validator(client):
    assert '"validatorUrl": null' in client.get("/docs").text


def test_a_missing_asset_is_a_problem_not_a_page(client):
    response = client.get("/docs/assets/no-such-file.js")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
