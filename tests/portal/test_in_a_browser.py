"""The portal in a real browser (Debian's chromium, headless) against a real server: a
stakeholder opens their link, reads what was decided and why (and nothing of anyone
else), asks for something with a mistake and then without, and follows the roadmap."""

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.ops.server_process import Served, serve

API = "/api/v1"
# Few database connections: PostgreSQL's 100 are shared with the tests running beside.
FEW_CONNECTIONS = {"db_pool_size": "2", "db_max_overflow": "1"}


def made(client: httpx.Client, path: str, body: dict) -> dict:
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def dana_with_a_decision(server: Served) -> str:
    """Dana's requests (one accepted into an item shown on the portal), Raj's, and the
    path of a link to Dana's page."""
    with httpx.Client(base_url=server.url, headers=server.login(), timeout=10) as client:
        dana = made(
            client,
            "/stakeholders",
            {"name": "Dana Reyes", "email": "dana@example.com", "group": "sales"},
        )
        raj = made(client, "/stakeholders", {"name": "Raj Patel", "group": "support"})
        item = made(
            client,
            "/roadmap-items",
            {
                "title": "SAML for the Okta deal",
                "public_title": "Sign in with your company account",
                "visibility": "portal",
                "horizon": "next",
                "target_date": "2027-03-31",
            },
        )
        sso = made(client, "/requests", {"title": "SSO with Okta", "stakeholder_id": dana["id"]})
        made(client, "/requests", {"title": "Raj's pricing ask", "stakeholder_id": raj["id"]})
        made(
            client,
            f"/requests/{sso['id']}/decisions",
            {
                "outcome": "accepted",
                "roadmap_item_id": item["id"],
                "why": "It unblocks enterprise deals.",
                "stakeholder_message": "Planned for Q1.",
            },
        )
        link = made(client, f"/stakeholders/{dana['id']}/portal-links", {})
    return "/portal/" + link["url"].rpartition("/portal/")[2]


def text_of(browser: WebDriver) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def went_on(browser: WebDriver, clicked: WebElement) -> None:
    """Click, and wait for the page it leads to (a busy machine may take its time)."""
    old = browser.find_element(By.TAG_NAME, "html")
    clicked.click()
    WebDriverWait(browser, 30).until(lambda b: old.id != b.find_element(By.TAG_NAME, "html").id)


def submitted(browser: WebDriver) -> None:
    went_on(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def test_a_stakeholder_reads_asks_and_follows_the_roadmap(browser, own_database_url, tmp_path):
    with serve(own_database_url, tmp_path, **FEW_CONNECTIONS) as server:
        path = dana_with_a_decision(server)
        browser.get(f"{server.url}{path}")

        # What Dana sees, styled as the policy allows, and nothing of Raj's.
        assert browser.find_element(By.TAG_NAME, "h1").text == "Your requests"
        text = text_of(browser)
        for seen in (
            "SSO with Okta",
            "Planned",
            "It unblocks enterprise deals.",
            "Planned for Q1.",
            "Sign in with your company account",
        ):
            assert seen in text
        assert "Raj" not in browser.page_source
        assert "Okta deal" not in browser.page_source
        header = browser.find_element(By.CSS_SELECTOR, ".site-header")
        assert header.value_of_css_property("background-color") == "rgba(11, 12, 12, 1)"
        refused = [
            e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]
        ]
        assert refused == []

        # A mistake: shown in a summary and beside its field, what was typed kept.
        went_on(browser, browser.find_element(By.LINK_TEXT, "Ask for something new"))
        browser.find_element(By.ID, "customer").send_keys("Acme Corp")
        browser.find_element(By.ID, "revenue_at_stake").send_keys("lots")
        submitted(browser)
        summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
        assert "Enter what you are asking for" in summary.text
        assert browser.find_element(By.ID, "title-error").is_displayed()
        assert browser.find_element(By.ID, "customer").get_attribute("value") == "Acme Corp"
        summary.find_element(By.LINK_TEXT, "Enter what you are asking for").click()
        assert browser.switch_to.active_element.get_attribute("id") == "title"

        # Put right: filed, and on the page at once.
        browser.find_element(By.ID, "title").send_keys("Export invoices to CSV")
        revenue = browser.find_element(By.ID, "revenue_at_stake")
        revenue.clear()
        revenue.send_keys("120,000")
        browser.find_element(By.CSS_SELECTOR, "label[for=urgency-high]").click()
        submitted(browser)
        assert "Thank you: we have your request" in text_of(browser)
        first = browser.find_elements(By.CSS_SELECTOR, "article.request h2")[0]
        assert first.text == "Export invoices to CSV"

        # The roadmap, by horizon.
        went_on(browser, browser.find_element(By.LINK_TEXT, "Our roadmap"))
        assert browser.find_element(By.TAG_NAME, "h1").text == "Our roadmap"
        nxt = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=horizon-next]")
        assert "Sign in with your company account" in nxt.text
        assert "Answers\n1 request" in nxt.text

        with httpx.Client(base_url=server.url, headers=server.login(), timeout=10) as client:
            filed = client.get(f"{API}/requests", params={"channel": "portal"}).json()["items"]
        log = server.log.read_text()

    assert [(r["title"], r["urgency"], r["status"]) for r in filed] == [
        ("Export invoices to CSV", "high", "new")
    ]
    assert filed[0]["revenue_at_stake"] == 120000
    assert "GET /portal/{token} 200" in log
    assert path.rpartition("/")[2] not in log


@pytest.mark.parametrize("width", [360])
def test_the_page_fits_a_phone(browser, own_database_url, tmp_path, width):
    with serve(own_database_url, tmp_path, **FEW_CONNECTIONS) as server:
        path = dana_with_a_decision(server)
        browser.set_window_size(width, 800)
        browser.get(f"{server.url}{path}")

        scroll_width = browser.execute_script("return document.documentElement.scrollWidth")
        viewport = browser.execute_script("return window.innerWidth")

    assert scroll_width <= viewport
