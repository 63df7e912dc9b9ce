"""Signing in through the identity provider in a browser: the authorization code flow
with PKCE, state and nonce (Authlib's client), ending in a reqtrack access token.

What the flow must remember between the two requests (state, nonce, the PKCE verifier)
rides in a short-lived cookie this server signs: any server process can finish a login
another began, and nothing is stored for a sign-in that is never finished.
"""

import base64
import json
import logging
import re
import secrets
import warnings
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlmodel import Session

from app.auth import revocation
from app.auth.oidc import IdentityToken, IdentityTokens, ProviderUnavailable
from app.core.config import Settings, is_safe_provider_url
from app.core.errors import Unauthorized
from app.core.security import is_link_signature, link_signature, token_digest
from app.core.types import utcnow

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 package and falls back to httpx, which we ship.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

logger = logging.getLogger("reqtrack.oidc")
LOGIN_COOKIE = "reqtrack_sso"
LOGIN_SECONDS = 600  # time to sign in at the provider
CALLBACK_PATH = "/api/v1/auth/oidc/callback"
DOCS_CODE_SECONDS = 60
# Where the docs page (Swagger UI) takes its authorization code back.
DOCS_REDIRECT_PATH = "/docs/oauth2-redirect"
# A provider's error code, as shown back: OAuth's are lower-case words and underscores.
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


@dataclass(frozen=True)
class LoginState:
    """What the callback checks: the login it began, in this browser, lately."""

    state: str
    nonce: str
    verifier: str
    expires: int
    # The docs page's own authorization request, when it began the login.
    docs_state: str | None = None
    docs_challenge: str | None = None


def oauth_client(settings: Settings) -> AsyncOAuth2Client:
    secret = settings.oidc_client_secret
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        scope=settings.oidc_scopes,
        redirect_uri=settings.public_url + CALLBACK_PATH,
        code_challenge_method="S256",
        timeout=10.0,
    )


async def begin_login(
    settings: Settings,
    identities: IdentityTokens,
    *,
    docs_state: str | None = None,
    docs_challenge: str | None = None,
) -> tuple[str, str]:
    """The provider's authorization URL to send the browser to, and the signed cookie that
    remembers this login."""
    discovery = await _discovery(identities)
    login = LoginState(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),
        expires=int(utcnow().timestamp()) + LOGIN_SECONDS,
        docs_state=docs_state,
        docs_challenge=docs_challenge,
    )
    async with oauth_client(settings) as client:
        url, _ = client.create_authorization_url(
            discovery["authorization_endpoint"],
            state=login.state,
            code_verifier=login.verifier,
            nonce=login.nonce,
        )
    return url, _signed_cookie(settings, login)


async def finish_login(
    settings: Settings,
    identities: IdentityTokens,
    *,
    cookie: str | None,
    state: str | None,
    code: str | None,
    error: str | None,
) -> tuple[IdentityToken, LoginState]:
    """The identity the provider vouched for at the end of the login this browser began:
    its ID token checked like an access token, for this client and this login's nonce."""
    login = _login_of(settings, cookie)
    if login is None or state is None or not secrets.compare_digest(state, login.state):
        raise Unauthorized("This sign-in was not begun here or took too long; start again.")
    if error is not None or not code:
        shown = error if error and _ERROR_CODE.match(error) else "no code"
        raise Unauthorized(f"The identity provider did not sign you in ({shown}).")
    discovery = await _discovery(identities)
    try:
        async with oauth_client(settings) as client:
            tokens = await client.fetch_token(
                discovery["token_endpoint"], code=code, code_verifier=login.verifier
            )
    except (OAuthError, httpx.HTTPError, OSError, ValueError) as exc:
        raise Unauthorized(
            f"The identity provider refused the sign-in ({type(exc).__name__})."
        ) from None
    id_token = tokens.get("id_token")
    claims = None
    if isinstance(id_token, str):
        claims = await identities.checked_claims(
            id_token, audience=settings.oidc_client_id, access_token=tokens.get("access_token")
        )
    if claims is None or claims.get("nonce") != login.nonce:
        raise Unauthorized("The identity provider's ID token is not valid for this sign-in.")
    identity = identities.identity_of(claims, token_digest(id_token))
    if identity is None:
        raise Unauthorized("The identity provider gave no verified e-mail address.")
    return identity, login


async def _discovery(identities: IdentityTokens) -> dict[str, Any]:
    try:
        discovery = await identities.keys.discovery()
    except ProviderUnavailable as exc:
        logger.warning("identity provider discovery unavailable: %s", exc)
        raise Unauthorized("The identity provider cannot be reached; try again later.") from None
    for endpoint in ("authorization_endpoint", "token_endpoint"):
        url = discovery.get(endpoint)
        if not isinstance(url, str) or not is_safe_provider_url(url):  # the secret goes there
            raise Unauthorized(f"The identity provider's {endpoint} is not an https:// URL.")
    return discovery


def _signed_cookie(settings: Settings, login: LoginState) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(asdict(login)).encode()).decode()
    return f"{payload}.{link_signature(settings, 'sso-login:' + payload)}"


def _login_of(settings: Settings, cookie: str | None) -> LoginState | None:
    payload, _, signature = (cookie or "").partition(".")
    if not payload or not is_link_signature(settings, "sso-login:" + payload, signature):
        return None
    try:
        login = LoginState(**json.loads(base64.urlsafe_b64decode(payload)))
    except (ValueError, TypeError):
        return None
    return login if login.expires > utcnow().timestamp() else None


# The docs page's sign-in: after the provider's, this server hands the page a one-time
# code of its own, which the page redeems with its PKCE verifier (POST /auth/oidc/token).


def docs_code(settings: Settings, user_id: int, challenge: str) -> str:
    """A code for the docs page, good once, for a minute, with the verifier of `challenge`."""
    expires = int(utcnow().timestamp()) + DOCS_CODE_SECONDS
    payload = f"{user_id}.{expires}.{challenge}.{secrets.token_urlsafe(12)}"
    return f"{payload}.{link_signature(settings, 'sso-docs-code:' + payload)}"


def docs_redirect(settings: Settings, code: str, state: str) -> str:
    query = urlencode({"code": code, "state": state})
    return f"{settings.public_url}{DOCS_REDIRECT_PATH}?{query}"


def redeem_docs_code(*, session: Session, settings: Settings, code: str, verifier: str) -> int:
    """The user a docs page's code was made for, spending it (401 when it is not a live,
    unspent code of this server, or the verifier does not answer its challenge)."""
    payload, _, signature = code.rpartition(".")
    parts = payload.split(".")
    valid = (
        len(parts) == 4
        and is_link_signature(settings, "sso-docs-code:" + payload, signature)
        and parts[0].isdigit()
        and parts[1].isdigit()
        and int(parts[1]) > utcnow().timestamp()
        and secrets.compare_digest(create_s256_code_challenge(verifier), parts[2])
    )
    if not valid or not revocation.spend(
        session=session,
        digest=token_digest(code),
        user_id=int(parts[0]),
        expires_at=datetime.fromtimestamp(int(parts[1]), UTC),
    ):
        raise Unauthorized("The code is invalid, expired or already used.", token_given=False)
    return int(parts[0])
