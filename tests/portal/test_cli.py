"""`reqtrack portal-link <e-mail>`: after `reqtrack demo`, a link that opens the demo
stakeholder's page."""

from typer.testing import CliRunner

from app.cli import cli
from app.demo.dataset import DOMAIN
from tests.demo.helpers import api_as_first_admin
from tests.portal.helpers import page_text


def test_the_printed_link_opens_the_demo_stakeholders_page(cli_database, monkeypatch):
    api = api_as_first_admin(monkeypatch, cli_database)  # the key the command signs with
    assert CliRunner().invoke(cli, ["demo"]).exit_code == 0

    made = CliRunner().invoke(cli, ["portal-link", f"  Dana.Whitfield@{DOMAIN.upper()} "])

    assert made.exit_code == 0, made.output
    url = made.stdout.strip()
    assert url.startswith("http://127.0.0.1:8000/portal/")
    assert "valid until" in made.stderr
    page = api.get(url.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    text = page_text(page)
    assert "Dana Whitfield, here is everything you asked us for" in text
    dana = api.get("/api/v1/stakeholders", params={"q": "Dana"}).json()["items"][0]
    asked = api.get("/api/v1/requests", params={"stakeholder_id": dana["id"]}).json()["items"]
    assert asked
    for request in asked:
        assert request["title"] in text


def test_an_unknown_email_is_said_plainly(cli_database):
    made = CliRunner().invoke(cli, ["portal-link", "nobody@example.com"])

    assert made.exit_code == 1
    assert "no stakeholder with e-mail nobody@example.com" in made.output
