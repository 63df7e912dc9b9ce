"""What the portal tests share: a link's path, and a page's text as a reader gets it."""

from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response

API = "/api/v1"


def link_path(client: TestClient, stakeholder_id: int) -> str:
    """The path of a new portal link to this stakeholder's page (made by `client`)."""
    made = client.post(f"{API}/stakeholders/{stakeholder_id}/portal-links")
    assert made.status_code == 201, made.text
    return "/portal/" + made.json()["url"].rpartition("/portal/")[2]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.hidden += tag in {"style", "title"}

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in {"style", "title"}

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.words.extend(data.split())


def page_text(response: Response) -> str:
    """The words a reader sees, one space apart (markup, styles and the title left out)."""
    parser = _Text()
    parser.feed(response.text)
    return " ".join(parser.words)
