"""HTTP routes of the browser sign-in through the identity provider (/auth/oidc): public,
like logging in."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse

from app.auth import oidc_login, service
from app.auth.dependencies import TokenIssuerDep
from app.auth.models import TokenResponse
from app.auth.oidc import IdentityTokens
from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.direct import DirectReadsDep
from app.core.errors import InvalidParameter, NotFound, Unauthorized

sso_router = APIRouter(prefix="/oidc", tags=["auth"])

OAuthValue = Annotated[str, Query(min_length=1, max_length=512, pattern=r"^[\x21-\x7e]+$")]
Responses = dict[int | str, dict[str, Any]]
NOT_CONFIGURED = {404: {"description": "Single sign-on is not configured on this server"}}


def answers(described: Responses) -> Responses:
    """The route's own answers, and the 404 of a server without single sign-on."""
    return described | NOT_CONFIGURED


async def identity_tokens(request: Request) -> IdentityTokens:
    identities: IdentityTokens | None = request.app.state.identity_tokens
    if identities is None or request.app.state.settings.oidc_client_id is None:
        raise NotFound("Single sign-on is not configured on this server.")
    return identities


SignOn = Annotated[IdentityTokens, Depends(identity_tokens)]


@sso_router.get(
    "/login",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses=answers({302: {"description": "To the identity provider's sign-in"}}),
)
async def sign_in_with_the_identity_provider(
    identities: SignOn,
    settings: SettingsDep,
    redirect_uri: Annotated[
        str | None,
        Query(max_length=512, description="The docs page's: only its own /docs/oauth2-redirect."),
    ] = None,
    state: Annotated[OAuthValue | None, Query(description="The docs page's state.")] = None,
    code_challenge: Annotated[
        OAuthValue | None, Query(description="The docs page's PKCE challenge (S256).")
    ] = None,
    code_challenge_method: Annotated[
        str | None, Query(pattern="^S256$", description="S256, when the docs page sends one.")
    ] = None,
) -> RedirectResponse:
    """Sign in at the company's identity provider. The browser comes back to
    /auth/oidc/callback, which answers a reqtrack access token. The docs page's Authorize
    button (Single sign-on) starts here too, with its own redirect_uri, state and PKCE."""
    for_docs = redirect_uri is not None
    if for_docs and redirect_uri != settings.public_url + oidc_login.DOCS_REDIRECT_PATH:
        raise InvalidParameter(
            "redirect_uri may only be this server's docs page.", loc=["query", "redirect_uri"]
        )
    if for_docs and not (state and code_challenge and code_challenge_method):
        raise InvalidParameter(
            "The docs page's sign-in needs state and an S256 code_challenge.",
            loc=["query", "code_challenge"],
        )
    url, cookie = await oidc_login.begin_login(
        settings,
        identities,
        docs_state=state if for_docs else None,
        docs_challenge=code_challenge if for_docs else None,
    )
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    response.set_cookie(
        oidc_login.LOGIN_COOKIE,
        cookie,
        max_age=oidc_login.LOGIN_SECONDS,
        path="/api/v1/auth/oidc",
        secure=settings.public_url.startswith("https://"),
        httponly=True,
        samesite="lax",  # sent on the provider's redirect back, a top-level GET
    )
    return response


@sso_router.get(
    "/callback",
    response_model=TokenResponse,
    responses=answers(
        {
            302: {"description": "Back to the docs page, when it began the sign-in"},
            401: {"description": "The sign-in failed"},
            403: {"description": "None of your groups gives a reqtrack role"},
        }
    ),
)
async def finish_sign_in(
    request: Request,
    identities: SignOn,
    settings: SettingsDep,
    issuer: TokenIssuerDep,
    reads: DirectReadsDep,
    code: Annotated[
        str | None,
        # Some providers' codes run to a few kilobytes (Entra ID's).
        Query(max_length=8192, pattern=r"^[\x21-\x7e]+$", description="From the provider."),
    ] = None,
    state: Annotated[OAuthValue | None, Query(description="From the identity provider.")] = None,
    error: Annotated[OAuthValue | None, Query(description="From the identity provider.")] = None,
) -> JSONResponse | RedirectResponse:
    """Where the identity provider sends the browser back: a reqtrack access token for
    the user with that verified e-mail (made on first sign-in, like an API call's)."""
    identity, login = await oidc_login.finish_login(
        settings,
        identities,
        cookie=request.cookies.get(oidc_login.LOGIN_COOKIE),
        state=state,
        code=code,
        error=error,
    )
    caller = await service.caller_for_identity(reads, identities, identity)
    if caller is None:
        raise Unauthorized(
            "This account is deactivated, or its sign-ins were revoked just now.",
            token_given=False,
        )
    response: JSONResponse | RedirectResponse
    if login.docs_challenge is not None and login.docs_state is not None:
        docs_code = oidc_login.docs_code(settings, caller.principal.id, login.docs_challenge)
        response = RedirectResponse(
            oidc_login.docs_redirect(settings, docs_code, login.docs_state),
            status_code=status.HTTP_302_FOUND,
        )
    else:
        body = TokenResponse.for_user(issuer, caller.principal.id)
        response = JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})
    response.delete_cookie(oidc_login.LOGIN_COOKIE, path="/api/v1/auth/oidc")
    return response


@sso_router.post(
    "/token",
    responses=answers({401: {"description": "The code is invalid, expired or spent"}}),
)
def redeem_docs_code(
    _identities: SignOn,
    code: Annotated[str, Form(max_length=1024, description="From the sign-in's redirect.")],
    code_verifier: Annotated[
        str,
        Form(pattern=r"^[A-Za-z0-9._~-]{43,128}$", description="The PKCE verifier (RFC 7636)."),
    ],
    session: SessionDep,
    settings: SettingsDep,
    issuer: TokenIssuerDep,
    grant_type: Annotated[
        str, Form(pattern="^authorization_code$", description="authorization_code.")
    ] = "authorization_code",
) -> TokenResponse:
    """The docs page's last step: its one-time code (60 s) for a reqtrack access token."""
    user_id = oidc_login.redeem_docs_code(
        session=session, settings=settings, code=code, verifier=code_verifier
    )
    return TokenResponse.for_user(issuer, user_id)
