"""HTTP routes for logging in (/auth), users (/users) and service tokens (/service-tokens)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from app.auth import passwords, revocation, service
from app.auth.dependencies import (
    ClientAddress,
    CurrentCaller,
    CurrentPrincipal,
    LoginForm,
    RequireAdmin,
    TokenIssuerDep,
    ValidUser,
)
from app.auth.models import (
    Me,
    PasswordChange,
    PasswordReset,
    PasswordResetLink,
    ServiceTokenCreate,
    ServiceTokenCreated,
    ServiceTokenPage,
    ServiceTokenRead,
    TokenResponse,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from app.auth.service import LoginRefused, UserFilters
from app.auth.sso_router import sso_router
from app.core.config import Settings, SettingsDep
from app.core.db import SessionDep
from app.core.errors import Conflict, Forbidden, TooManyRequests, problem_response
from app.core.etags import IfMatch, check_if_match, set_created, set_etag
from app.core.locations import location_of
from app.core.pagination import PageParams
from app.core.types import PathId
from app.idempotency.dependencies import Idempotent

login_router = APIRouter(prefix="/auth", tags=["auth"])
login_router.include_router(sso_router)
me_router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"], dependencies=[RequireAdmin])
tokens_router = APIRouter(
    prefix="/service-tokens", tags=["service tokens"], dependencies=[RequireAdmin]
)


@login_router.post(
    "/token",
    response_model=TokenResponse,
    responses={401: {"description": "Wrong e-mail or password"}, 429: {"description": "Locked"}},
)
def issue_token(
    form: Annotated[LoginForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    issuer: TokenIssuerDep,
    client: ClientAddress,
) -> TokenResponse | JSONResponse:
    """Log in with e-mail (as `username`) and password; answers a bearer token."""
    attempt = _counted_login(session, settings, email=form.username, client=client)
    user = service.checked_password(session=session, attempt=attempt, password=form.password)
    if user is None or user.id is None:
        return problem_response(
            401,
            "Wrong e-mail or password.",
            slug="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return TokenResponse.for_user(issuer, user.id)


def _counted_login(
    session: Session, settings: Settings, *, email: str, client: str
) -> service.LoginAttempt:
    """A password check counted against the login limits before it is made (429 when over
    them), and committed: it counts whatever happens next, and no row or database lock is
    held while the slow hash runs (the request's writer turn is)."""
    try:
        attempt = service.count_login_attempt(
            session=session, settings=settings, email=email, client_address=client
        )
    except LoginRefused as refused:
        raise TooManyRequests(
            f"{refused.detail} Try again later.", retry_after=refused.retry_after
        ) from None
    session.commit()
    return attempt


@me_router.get("/me")
def get_me(principal: CurrentPrincipal, session: SessionDep) -> Me:
    """Who the token belongs to."""
    if principal.kind == "service_token":
        return Me(kind="service_token", id=principal.id, role=principal.role, name=principal.label)
    user = service.get_user(session=session, user_id=principal.id)
    return Me(
        kind="user",
        id=principal.id,
        role=principal.role,
        email=user.email,
        display_name=user.display_name,
    )


@me_router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Idempotent],
    responses={204: {"description": "Signed out: the token is refused from now on"}},
)
def log_out(caller: CurrentCaller, session: SessionDep) -> None:
    """Sign out: the token this is called with is refused from now until it expires, by
    every server process. A service token is revoked, as DELETE /service-tokens/{id} does."""
    if caller.token is None:
        token = service.get_service_token(session=session, token_id=caller.principal.id)
        service.revoke_service_token(session=session, token=token)
        return
    revocation.sign_out(session=session, user_id=caller.principal.id, token=caller.token)


@me_router.post(
    "/password",
    dependencies=[Idempotent],
    responses={403: {"description": "Wrong current password"}, 429: {"description": "Locked"}},
)
def change_password(
    body: PasswordChange,
    caller: CurrentCaller,
    session: SessionDep,
    settings: SettingsDep,
    issuer: TokenIssuerDep,
    client: ClientAddress,
) -> TokenResponse:
    """Change your own password. Every token you had stops working, this one too: the
    answer carries a new one."""
    if caller.token is None:
        raise Forbidden("A service token has no password; revoke it and make another.")
    attempt = _counted_login(session, settings, email=caller.principal.label, client=client)
    changed_at = passwords.change_own_password(
        session=session, attempt=attempt, current=body.current_password, new=body.new_password
    )
    return TokenResponse.for_user(issuer, caller.principal.id, not_before=changed_at)


@login_router.post(
    "/password-reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={204: {"description": "The password is set; log in with it"}},
)
def reset_password(body: PasswordReset, session: SessionDep, settings: SettingsDep) -> None:
    """Set a password with the one-time link an admin made (POST /users/{id}/password-reset).
    Every token the user had stops working."""
    user = passwords.reset_user(session=session, settings=settings, token=body.token)
    passwords.set_password(session=session, user=user, password=body.new_password)


@users_router.get("")
def list_users(session: SessionDep, filters: Annotated[UserFilters, Query()]) -> UserPage:
    users, next_cursor = service.list_users(session=session, filters=filters)
    return UserPage(items=[UserRead.model_validate(u) for u in users], next_cursor=next_cursor)


@users_router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent])
def create_user(
    body: UserCreate, session: SessionDep, http: Request, response: Response
) -> UserRead:
    user = service.create_user(session=session, data=body)
    set_created(response, location_of(http, "get_user", user_id=user.id), user.version)
    return UserRead.model_validate(user)


@users_router.get("/{user_id}")
def get_user(user: ValidUser, response: Response) -> UserRead:
    set_etag(response, user.version)
    return UserRead.model_validate(user)


@users_router.patch("/{user_id}")
def update_user(
    user: ValidUser,
    body: UserUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> UserRead:
    """Change a user's role or display name, or deactivate them (their tokens stop at once)."""
    check_if_match(if_match, user.version)
    if user.id == principal.user_id and (
        body.role not in (None, user.role) or body.active is False
    ):
        raise Conflict("You cannot demote or deactivate yourself; ask another admin.")
    user = service.update_user(session=session, user=user, data=body)
    set_etag(response, user.version)
    return UserRead.model_validate(user)


@users_router.post(
    "/{user_id}/password-reset",
    dependencies=[Idempotent],
    responses={200: {"description": "A link that sets the user's password once"}},
)
def make_password_reset_link(user: ValidUser, settings: SettingsDep) -> PasswordResetLink:
    """A one-time link, valid one hour, with which the user sets a new password (the page
    it opens, or POST /auth/password-reset with its token). Setting any new password ends
    every link made before."""
    link = passwords.reset_link(settings=settings, user=user)
    return PasswordResetLink(reset_url=link.url, expires_at=link.expires_at)


@users_router.post(
    "/{user_id}/revoke-tokens",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Idempotent],
    responses={204: {"description": "Every token the user had is refused from now on"}},
)
def revoke_user_tokens(user: ValidUser, session: SessionDep) -> None:
    """Sign a user out everywhere: every token issued to them so far stops working at
    once; they can log in again."""
    revocation.revoke_all_tokens(session=session, user=user)


@tokens_router.get("")
def list_service_tokens(
    session: SessionDep, page: Annotated[PageParams, Query()]
) -> ServiceTokenPage:
    tokens, next_cursor = service.list_service_tokens(session=session, page=page)
    return ServiceTokenPage(
        items=[ServiceTokenRead.model_validate(t) for t in tokens], next_cursor=next_cursor
    )


@tokens_router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent])
def create_service_token(
    body: ServiceTokenCreate, session: SessionDep, principal: CurrentPrincipal
) -> ServiceTokenCreated:
    """A long-lived token for an integration; the token is in this response only."""
    stored, token = service.create_service_token(
        session=session, data=body, created_by=principal.user_id
    )
    return ServiceTokenCreated.model_validate(stored, update={"token": token})


@tokens_router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_service_token(token_id: PathId, session: SessionDep) -> None:
    """Revoke a token: the very next request with it gets 401."""
    token = service.get_service_token(session=session, token_id=token_id)
    service.revoke_service_token(session=session, token=token)
