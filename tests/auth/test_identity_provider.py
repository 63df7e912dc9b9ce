"""The test identity provider speaks real OpenID Connect: discovery, JWKS, rotation and the
authorization code flow with PKCE, checked over HTTP with python-jose."""

import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from jose import JWTError, jwt

from tests.auth.identity_provider import IdentityProvider, code_challenge


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    with IdentityProvider() as provider:
        yield provider


def published_jwk(idp: IdentityProvider, kid: str) -> dict[str, Any]:
    keys = httpx.get(f"{idp.issuer}/jwks").json()["keys"]
    return next(key for key in keys if key["kid"] == kid)


def verify(
    idp: IdentityProvider,
    token: str,
    *,
    audience: str | None = None,
    access_token: str | None = None,
) -> dict[str, Any]:
    key = published_jwk(idp, jwt.get_unverified_header(token)["kid"])
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=[key["alg"]],
        audience=audience or idp.audience,
        issuer=idp.issuer,
        access_token=access_token,  # an ID token's at_hash is checked against it
    )
    return claims


def authorize(
    idp: IdentityProvider,
    verifier: str,
    *,
    state: str = "the-state",
    nonce: str = "the-nonce",
    redirect_uri: str | None = None,
) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": idp.client_id,
        "redirect_uri": redirect_uri or idp.redirect_uri,
        "scope": "openid email profile",
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return httpx.get(f"{idp.issuer}/authorize", params=params, follow_redirects=False)


def redeem(idp: IdentityProvider, code: str, verifier: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": idp.redirect_uri,
        "code_verifier": verifier,
    }
    return httpx.post(f"{idp.issuer}/token", data=form, auth=(idp.client_id, idp.client_secret))


def redirected_to(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {name: values[0] for name, values in query.items()}


def test_discovery_names_the_endpoints(idp: IdentityProvider) -> None:
    document = httpx.get(f"{idp.issuer}/.well-known/openid-configuration").json()

    assert document["issuer"] == idp.issuer
    assert not idp.issuer.endswith("/")
    assert document["authorization_endpoint"] == f"{idp.issuer}/authorize"
    assert document["token_endpoint"] == f"{idp.issuer}/token"
    assert document["jwks_uri"] == f"{idp.issuer}/jwks"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert idp.discovery_fetches == 1


def test_jwks_publishes_an_rsa_and_an_ec_key(idp: IdentityProvider) -> None:
    keys = httpx.get(f"{idp.issuer}/jwks").json()["keys"]

    assert sorted((key["kty"], key["alg"]) for key in keys) == [("EC", "ES256"), ("RSA", "RS256")]
    assert {key["kid"] for key in keys} == set(idp.key_ids)
    assert all(key["use"] == "sig" and "d" not in key for key in keys)
    assert idp.jwks_fetches == 1


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_minted_tokens_verify_with_the_published_key(idp: IdentityProvider, kind: str) -> None:
    token = idp.access_token("ana@example.com", groups=("product", "admins"), key=kind)

    claims = verify(idp, token)

    assert claims["email"] == "ana@example.com"
    assert claims["groups"] == ["product", "admins"]
    assert claims["sub"] == verify(idp, idp.access_token("ana@example.com"))["sub"]


def test_claims_can_be_changed_and_removed(idp: IdentityProvider) -> None:
    token = idp.access_token(claims={"email_verified": False, "nbf": None, "extra": 1})

    claims = jwt.get_unverified_claims(token)

    assert claims["email_verified"] is False
    assert "nbf" not in claims
    assert claims["extra"] == 1


def test_rotation_replaces_the_published_key(idp: IdentityProvider) -> None:
    old_rsa, old_token = idp.signing_key("rsa").kid, idp.access_token(key="rsa")

    new_rsa = idp.rotate("rsa")

    published = {key["kid"] for key in httpx.get(f"{idp.issuer}/jwks").json()["keys"]}
    assert new_rsa in published
    assert old_rsa not in published
    assert len(published) == 2
    assert verify(idp, idp.access_token(key="rsa"))["iss"] == idp.issuer
    # A retired key still signs, for the tests of tokens the service must now refuse.
    assert jwt.get_unverified_header(idp.access_token(key=old_rsa))["kid"] == old_rsa
    assert jwt.get_unverified_header(old_token)["kid"] == old_rsa


def test_attack_tokens_do_not_verify(idp: IdentityProvider) -> None:
    for token in (idp.unsigned_token(), idp.hs256_with_public_key()):
        assert jwt.get_unverified_header(token)["kid"] in idp.key_ids
        with pytest.raises(JWTError):
            verify(idp, token)


def test_the_code_flow_gives_tokens_for_the_person_signed_in(idp: IdentityProvider) -> None:
    idp.sign_in_as("bo@example.com", groups=("support",), name="Bo")
    verifier = secrets.token_urlsafe(48)

    answer = redirected_to(authorize(idp, verifier, state="s-123", nonce="n-456"))
    assert answer["state"] == "s-123"
    tokens = redeem(idp, answer["code"], verifier)

    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    id_token = verify(
        idp, body["id_token"], audience=idp.client_id, access_token=body["access_token"]
    )
    assert id_token["nonce"] == "n-456"
    assert (id_token["email"], id_token["name"], id_token["groups"]) == (
        "bo@example.com",
        "Bo",
        ["support"],
    )
    assert verify(idp, body["access_token"])["email"] == "bo@example.com"
    # A code is good once.
    again = redeem(idp, answer["code"], verifier)
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})


def test_a_wrong_verifier_gets_no_tokens(idp: IdentityProvider) -> None:
    idp.sign_in_as("ana@example.com")
    code = redirected_to(authorize(idp, secrets.token_urlsafe(48)))["code"]

    answer = redeem(idp, code, secrets.token_urlsafe(48))

    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})


def test_wrong_client_credentials_are_refused(idp: IdentityProvider) -> None:
    idp.sign_in_as("ana@example.com")
    verifier = secrets.token_urlsafe(48)
    code = redirected_to(authorize(idp, verifier))["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": idp.redirect_uri,
        "code_verifier": verifier,
        "client_id": idp.client_id,
        "client_secret": "not the secret",
    }

    answer = httpx.post(f"{idp.issuer}/token", data=form)

    assert (answer.status_code, answer.json()) == (401, {"error": "invalid_client"})


def test_a_refused_login_redirects_with_an_error(idp: IdentityProvider) -> None:
    idp.redirect_uri = "http://testserver/callback?next=%2Fhome"
    verifier = secrets.token_urlsafe(48)

    assert redirected_to(authorize(idp, verifier)) == {
        "next": "/home",
        "error": "access_denied",
        "state": "the-state",
    }
    idp.sign_in_as("ana@example.com")
    idp.refuse_next_login("login_required")
    assert redirected_to(authorize(idp, verifier))["error"] == "login_required"
    assert "code" in redirected_to(authorize(idp, verifier))


def test_an_unregistered_redirect_uri_is_not_followed(idp: IdentityProvider) -> None:
    idp.sign_in_as("ana@example.com")
    evil = "http://evil.example/callback"

    response = authorize(idp, secrets.token_urlsafe(48), redirect_uri=evil)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "redirect_uri" in response.text
