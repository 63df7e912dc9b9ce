"""Single sign-on in a browser: GET /auth/oidc/login -> the identity provider -> GET
/auth/oidc/callback, driven over real HTTP against the test's identity provider, ending in
a reqtrack access token; and the docs page's Authorize button, which redeems a one-time
code of ours with its PKCE verifier."""

import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from app.auth.models import RevokedToken, User
from app.core.config import Settings
from app.core.types import utcnow
from tests.auth.identity_provider import IdentityProvider, code_challenge
from tests.auth.sso import bearer

LOGIN = "/api/v1/auth/oidc/login"
DOCS_REDIRECT = "http://testserver/docs/oauth2-redirect"


def at_the_provider(sso: TestClient, login: httpx.Response) -> str:
    """Follow the login's redirect to the provider; the path and query it sends back to."""
    assert login.status_code == 302, login.text
    back = httpx.get(login.headers["location"], follow_redirects=False)
    assert back.status_code == 302, back.text
    parts = urlsplit(back.headers["location"])
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver"
    return f"{parts.path}?{parts.query}"


def test_signing_in_ends_in_a_reqtrack_token(sso, identity_provider: IdentityProvider):
    identity_provider.sign_in_as("una@example.com", groups=["support"], name="Una")
    login = sso.get(LOGIN, follow_redirects=False)
    asked = parse_qs(urlsplit(login.headers["location"]).query)

    answer = sso.get(at_the_provider(sso, login))

    assert {"state", "nonce", "code_challenge"} <= asked.keys()
    assert asked["code_challenge_method"] == ["S256"]
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    me = sso.get("/api/v1/auth/me", headers=bearer(token)).json()
    assert (me["email"], me["role"], me["display_name"]) == (
        "una@example.com",
        "contributor",
        "Una",
    )
    assert "reqtrack_sso=" in answer.headers["set-cookie"]  # the login's cookie, cleared


def test_a_callback_this_browser_did_not_begin_is_refused(sso, identity_provider):
    identity_provider.sign_in_as("vic@example.com")
    back = at_the_provider(sso, sso.get(LOGIN, follow_redirects=False))

    other_browser = TestClient(sso.app).get(back)
    forged_state = sso.get(back.replace("state=", "state=x"))

    assert other_browser.status_code == 401
    assert forged_state.status_code == 401
    assert sso.get(back).status_code == 200  # the real one still works, once
    assert sso.get(back).status_code == 401


def test_a_refused_sign_in_at_the_provider_is_a_401_that_names_its_error(sso, identity_provider):
    identity_provider.refuse_next_login("access_denied")

    answer = sso.get(at_the_provider(sso, sso.get(LOGIN, follow_redirects=False)))

    assert answer.status_code == 401
    assert "access_denied" in answer.json()["detail"]


def test_signing_in_with_no_mapped_group_is_a_403(sso, identity_provider):
    identity_provider.sign_in_as("wes@example.com", groups=["visitors"])

    answer = sso.get(at_the_provider(sso, sso.get(LOGIN, follow_redirects=False)))

    assert answer.status_code == 403


def test_without_single_sign_on_the_routes_are_404(anonymous):
    assert anonymous.get(LOGIN, follow_redirects=False).status_code == 404
    assert anonymous.get("/api/v1/auth/oidc/callback?code=x&state=y").status_code == 404


# The docs page (Swagger UI's authorization code flow with PKCE)


def docs_login(sso: TestClient, verifier: str, redirect_uri: str = DOCS_REDIRECT) -> httpx.Response:
    query = {
        "response_type": "code",
        "client_id": "reqtrack-docs",
        "redirect_uri": redirect_uri,
        "state": "swagger-state",
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return sso.get(LOGIN, params=query, follow_redirects=False)


def redeem(sso: TestClient, code: str, verifier: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "client_id": "reqtrack-docs",
        "redirect_uri": DOCS_REDIRECT,
    }
    return sso.post("/api/v1/auth/oidc/token", data=form)


def test_the_docs_page_signs_in_with_a_one_time_code_and_its_verifier(
    sso, identity_provider, engine
):
    identity_provider.sign_in_as("xan@example.com", groups=["product"])
    verifier = secrets.token_urlsafe(48)

    to_docs = sso.get(at_the_provider(sso, docs_login(sso, verifier)), follow_redirects=False)

    assert to_docs.status_code == 302
    assert to_docs.headers["location"].startswith(DOCS_REDIRECT + "?")
    given = parse_qs(urlsplit(to_docs.headers["location"]).query)
    assert given["state"] == ["swagger-state"]
    code = given["code"][0]
    assert redeem(sso, code, "a-wrong-verifier-" + "x" * 40).status_code == 401
    assert redeem(sso, code, "é" * 43).status_code == 422  # not a verifier at all
    expired = [
        {"token_digest": f"{n:064x}", "user_id": 1, "expires_at": utcnow() - timedelta(1)}
        for n in range(3)
    ]
    with engine.begin() as connection:
        user_id = connection.execute(select(User.id).limit(1)).scalar_one()
        connection.execute(insert(RevokedToken), [row | {"user_id": user_id} for row in expired])
    redeemed = redeem(sso, code, verifier)
    assert redeemed.status_code == 200, redeemed.text
    with engine.connect() as connection:  # spent codes prune expired rows, as sign-outs do
        assert connection.execute(select(func.count()).select_from(RevokedToken)).scalar() == 1
    me = sso.get("/api/v1/auth/me", headers=bearer(redeemed.json()["access_token"])).json()
    assert (me["email"], me["role"]) == ("xan@example.com", "manager")
    assert redeem(sso, code, verifier).status_code == 401  # spent


def test_the_docs_flow_sends_codes_to_this_servers_docs_page_only(sso):
    verifier = secrets.token_urlsafe(48)

    answer = docs_login(sso, verifier, redirect_uri="https://evil.example.com/docs/oauth2-redirect")

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["query", "redirect_uri"]


def test_the_docs_page_offers_single_sign_on_when_it_is_configured(sso, anonymous):
    schemes = sso.get("/openapi.json").json()["components"]["securitySchemes"]
    without = anonymous.get("/openapi.json").json()["components"]["securitySchemes"]

    flow = schemes["SingleSignOn"]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == LOGIN
    assert "SingleSignOn" not in without
    assert "usePkceWithAuthorizationCodeGrant" in sso.get("/docs").text


def test_forged_docs_codes_open_nothing(sso, settings: Settings):
    verifier = secrets.token_urlsafe(48)
    forged = ["1.9999999999.abc.def.sig", "x" * 1024, "1.2.3.4.5.6", "..."]

    assert [redeem(sso, code, verifier).status_code for code in forged] == [401] * len(forged)
