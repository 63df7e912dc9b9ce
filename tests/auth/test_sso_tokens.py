"""Single sign-on, resource server: the identity provider's access tokens are accepted on
every endpoint next to reqtrack's own, checked against its published keys, and name the
user with that verified e-mail, made on first sign-in with the role their groups map to."""

import time

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, select

from app.auth.models import User
from app.core.config import Settings
from tests import factories
from tests.auth.identity_provider import IdentityProvider
from tests.auth.sso import bearer, sso_settings
from tests.conftest import app_on

ME = "/api/v1/auth/me"
LOGIN = "/api/v1/auth/oidc/login"


def users_named(engine: Engine, email: str) -> list[User]:
    with engine.connect() as connection:
        return list(connection.execute(select(User).where(User.email == email)).all())


def test_a_first_time_caller_is_made_a_user_with_the_role_their_groups_map_to(
    sso: TestClient, identity_provider: IdentityProvider, client: TestClient, engine
):
    token = identity_provider.access_token(
        "Ana.Lopez@Example.com", groups=["everyone", "product"], claims={"name": "Ana López"}
    )

    me = sso.get(ME, headers=bearer(token))

    assert me.status_code == 200, me.text
    assert me.json() | {"id": 0} == {
        "kind": "user",
        "id": 0,
        "role": "manager",  # the highest of viewer (everyone) and manager (product)
        "email": "ana.lopez@example.com",
        "display_name": "Ana López",
        "name": None,
    }
    need = sso.post("/api/v1/needs", json={"statement": "SSO works"}, headers=bearer(token))
    assert need.status_code == 201
    hot_read = f"/api/v1/requests/{factories.request(client)['id']}"
    assert sso.get(hot_read, headers=bearer(token)).status_code == 200
    assert len(users_named(engine, "ana.lopez@example.com")) == 1


def test_an_ec_signed_token_is_accepted(sso, identity_provider):
    token = identity_provider.access_token("ec@example.com", key="ec", groups=["support"])

    me = sso.get(ME, headers=bearer(token))

    assert me.status_code == 200, me.text
    assert me.json()["role"] == "contributor"


def test_an_existing_user_is_found_by_their_e_mail(sso, identity_provider, client):
    made = factories.created(
        client,
        "/users",
        {"email": "bo@example.com", "display_name": "Bo", "password": "bo's long passphrase"},
    )

    me = sso.get(ME, headers=bearer(identity_provider.access_token("BO@example.com")))

    assert me.status_code == 200
    assert me.json()["id"] == made["id"]


def test_a_caller_whose_groups_map_to_no_role_is_refused_with_403(sso, identity_provider, engine):
    token = identity_provider.access_token("stranger@example.com", groups=["contractors"])

    response = sso.get(ME, headers=bearer(token))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert users_named(engine, "stranger@example.com") == []


def test_a_group_change_at_the_provider_applies_on_the_next_token(sso, identity_provider):
    now = int(time.time())
    old = identity_provider.access_token(
        "cy@example.com", groups=["support"], claims={"iat": now - 5}
    )
    assert sso.get(ME, headers=bearer(old)).json()["role"] == "contributor"

    new = identity_provider.access_token("cy@example.com", groups=["product"])

    assert sso.get(ME, headers=bearer(new)).json()["role"] == "manager"
    assert sso.get(ME, headers=bearer(old)).status_code == 401  # it carries the old groups


def test_losing_every_mapped_group_refuses_that_token_and_every_older_one(sso, identity_provider):
    now = int(time.time())
    older = identity_provider.access_token("dee@example.com", claims={"iat": now - 5})
    assert sso.get(ME, headers=bearer(older)).is_success

    left = identity_provider.access_token("dee@example.com", groups=["alumni"])

    assert sso.get(ME, headers=bearer(left)).status_code == 403
    assert sso.get(ME, headers=bearer(older)).status_code == 401


def refused_tokens(idp: IdentityProvider) -> dict[str, str]:
    now = int(time.time())
    good = idp.access_token("eve@example.com")
    header, payload, signature = good.split(".")
    return {
        "alg none": idp.unsigned_token("eve@example.com"),
        "HS256 keyed with the public key": idp.hs256_with_public_key("eve@example.com"),
        "another issuer": idp.access_token(claims={"iss": "https://evil.example.com"}),
        "another audience": idp.access_token(claims={"aud": "someone-else"}),
        "no audience": idp.access_token(claims={"aud": None}),
        "expired": idp.access_token(claims={"exp": now - 60, "iat": now - 400}),
        "not yet valid": idp.access_token(claims={"nbf": now + 600}),
        "e-mail not verified": idp.access_token("eve@example.com", email_verified=False),
        "no e-mail": idp.access_token(claims={"email": None}),
        "an e-mail that is not one": idp.access_token("eve at example.com"),
        "issued in the future": idp.access_token(claims={"iat": now + 600}),
        "an ID token": idp.access_token(claims={"at_hash": "x" * 22, "nonce": "n"}),
        "no kid": idp.access_token(headers={"kid": None}),
        "unknown kid": idp.access_token(headers={"kid": "no-such-key"}),
        "signature of another token": f"{header}.{payload[:-4]}AAAA.{signature}",
        "garbage": "not.a.token",
    }


REFUSED = [
    "alg none",
    "HS256 keyed with the public key",
    "another issuer",
    "another audience",
    "no audience",
    "expired",
    "not yet valid",
    "e-mail not verified",
    "no e-mail",
    "an e-mail that is not one",
    "issued in the future",
    "an ID token",
    "no kid",
    "unknown kid",
    "signature of another token",
    "garbage",
]


@pytest.mark.parametrize("case", REFUSED)
def test_a_token_the_provider_did_not_validly_sign_is_refused_with_401(
    sso, identity_provider, engine, case
):
    token = refused_tokens(identity_provider)[case]

    response = sso.get(ME, headers=bearer(token))

    assert response.status_code == 401, f"{case}: {response.status_code}"
    assert users_named(engine, "eve@example.com") == []
    assert users_named(engine, "ana@example.com") == []


def a_minute_later(sso: TestClient) -> None:
    """Let the app's key cache believe a minute has passed since it last fetched."""
    keys = sso.app.state.identity_tokens.keys  # type: ignore[attr-defined]
    keys._clock = lambda: time.monotonic() + 61


def test_a_rotated_key_is_fetched_once_and_the_retired_one_refused(sso, identity_provider):
    retired = identity_provider.signing_key("rsa").kid
    signed_by_retired = identity_provider.access_token("fay@example.com", key=retired)
    assert sso.get(ME, headers=bearer(signed_by_retired)).status_code == 200
    identity_provider.rotate("rsa")
    fetches = identity_provider.jwks_fetches
    within_the_minute = identity_provider.access_token("fay@example.com", claims={"jti": "1"})
    assert sso.get(ME, headers=bearer(within_the_minute)).status_code == 401
    assert identity_provider.jwks_fetches == fetches  # the last fetch was under a minute ago
    a_minute_later(sso)

    fresh = identity_provider.access_token("fay@example.com", key="rsa")
    assert sso.get(ME, headers=bearer(fresh)).status_code == 200
    assert identity_provider.jwks_fetches == fetches + 1
    again = identity_provider.access_token("fay@example.com", key=retired, claims={"jti": "2"})

    assert sso.get(ME, headers=bearer(again)).status_code == 401


def test_unknown_kids_refetch_the_keys_at_most_once_a_minute(sso, identity_provider):
    assert sso.get(ME, headers=bearer(identity_provider.access_token())).status_code == 200
    fetches = identity_provider.jwks_fetches

    for n in range(20):
        forged = identity_provider.access_token(headers={"kid": f"forged-{n}"})
        assert sso.get(ME, headers=bearer(forged)).status_code == 401

    assert identity_provider.jwks_fetches <= fetches + 1


def test_a_known_token_costs_no_call_to_the_provider(sso, identity_provider):
    token = identity_provider.access_token("gil@example.com")
    assert sso.get(ME, headers=bearer(token)).status_code == 200
    fetches = (identity_provider.jwks_fetches, identity_provider.discovery_fetches)

    answers = [sso.get(ME, headers=bearer(token)).status_code for _ in range(5)]

    assert answers == [200] * 5
    assert (identity_provider.jwks_fetches, identity_provider.discovery_fetches) == fetches


def test_the_provider_down_never_blocks_reqtrack_tokens(settings, engine, client, users):
    with IdentityProvider() as gone:
        token_of_a_provider_now_gone = gone.access_token("hal@example.com")
        settings_of_a_provider_now_gone = sso_settings(settings, gone)
    down = TestClient(app_on(engine, settings_of_a_provider_now_gone))
    ours = down.app.state.token_issuer.issue(f"user:{next(iter(users.values())).id}")

    started = time.monotonic()
    assert down.get(ME, headers=bearer(token_of_a_provider_now_gone)).status_code == 401
    assert down.get(ME, headers=bearer(ours)).status_code == 200
    assert time.monotonic() - started < 10
    assert down.get(LOGIN, follow_redirects=False).status_code == 401
    again = time.monotonic()
    assert down.get(LOGIN, follow_redirects=False).status_code == 401
    assert time.monotonic() - again < 1  # not tried again within the minute


def test_an_sso_token_signs_out_and_follows_deactivation(sso, identity_provider, client):
    token = identity_provider.access_token("ivy@example.com")
    other = identity_provider.access_token("ivy@example.com", claims={"jti": "other"})
    me = sso.get(ME, headers=bearer(token)).json()

    assert sso.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert sso.get(ME, headers=bearer(token)).status_code == 401
    assert sso.get(ME, headers=bearer(other)).status_code == 200

    client.patch(f"/api/v1/users/{me['id']}", json={"active": False})
    assert sso.get(ME, headers=bearer(other)).status_code == 401


@pytest.mark.parametrize(
    "issuer", ["http://sso.example.com/realms/acme", "ftp://sso.example.com", "https://", "sso"]
)
def test_an_issuer_reached_without_tls_is_refused_at_start(issuer):
    with pytest.raises(ValidationError, match="REQTRACK_OIDC_ISSUER"):
        Settings(oidc_issuer=issuer, oidc_audience="reqtrack")


def test_an_https_or_loopback_issuer_is_taken_with_an_audience_of_the_apis_own():
    https = Settings(oidc_issuer="https://sso.example.com/realms/acme/", oidc_audience="api")
    loopback = Settings(oidc_issuer="http://127.0.0.1:8080", oidc_audience="reqtrack")

    assert https.oidc_issuer == "https://sso.example.com/realms/acme/"  # as tokens name it
    assert loopback.oidc_issuer == "http://127.0.0.1:8080"
    with pytest.raises(ValidationError, match="AUDIENCE"):
        Settings(oidc_issuer="https://sso.example.com", oidc_client_id="reqtrack")
    with pytest.raises(ValidationError, match="must differ"):  # else ID tokens would pass
        Settings(oidc_issuer=loopback.oidc_issuer, oidc_audience="rq", oidc_client_id="rq")
