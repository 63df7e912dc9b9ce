"""Single sign-on in a real browser (Debian's chromium, headless) against a real server
and the test's identity provider: the docs page's Authorize button signs in through the
provider and then calls the API with the reqtrack token it got."""

import json

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.auth.identity_provider import IdentityProvider
from tests.auth.sso import AUDIENCE, CLIENT_ID, ROLE_MAP
from tests.ops.server_process import free_port, serve

FEW_CONNECTIONS = {"db_pool_size": "2", "db_max_overflow": "1"}


def test_the_docs_page_signs_in_with_the_identity_provider(browser, own_database_url, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with IdentityProvider(
        client_id=CLIENT_ID, audience=AUDIENCE, redirect_uri=f"{url}/api/v1/auth/oidc/callback"
    ) as idp:
        idp.sign_in_as("dana@example.com", groups=["product"], name="Dana Reyes")
        settings = {
            "public_url": url,
            "oidc_issuer": idp.issuer,
            "oidc_audience": AUDIENCE,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": idp.client_secret,
            "oidc_role_map": json.dumps(ROLE_MAP),
        }
        with serve(own_database_url, tmp_path, port=port, **FEW_CONNECTIONS, **settings):
            browser.get(f"{url}/docs")
            browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
            sso = next(
                box
                for box in browser.find_elements(By.CSS_SELECTOR, ".auth-container")
                if box.find_element(By.TAG_NAME, "h4").text.startswith("SingleSignOn")
            )
            sso.find_element(By.CSS_SELECTOR, "button.authorize").click()
            # The provider's round trip runs in Swagger UI's pop-up, which closes itself
            # once the page has redeemed its code for a token.
            signed_in = (By.CSS_SELECTOR, "button[aria-label='Remove authorization']")
            WebDriverWait(browser, 30).until(lambda b: b.find_elements(*signed_in))
            assert browser.find_element(*signed_in).text == "Logout"
            # The reqtrack token the page now sends with every call it tries.
            authorized = browser.execute_script(
                "return JSON.stringify(ui.authSelectors.authorized().toJS())"
            )
            token = json.loads(authorized)["SingleSignOn"]["token"]["access_token"]
            me = httpx.get(
                f"{url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
            )

    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["role"]) == ("dana@example.com", "manager")
    assert me.json()["display_name"] == "Dana Reyes"
