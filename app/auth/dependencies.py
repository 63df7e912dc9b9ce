"""Who is calling, and may they: dependencies for routes."""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from app.auth import oidc_users, service
from app.auth.models import (
    LoginEmail,
    LoginPassword,
    Principal,
    Role,
    User,
    throttled_address,
)
from app.auth.oidc import IdentityToken, IdentityTokens
from app.core.config import Settings
from app.core.db import SessionDep, WriteIntent, open_session, turn
from app.core.direct import direct_reads
from app.core.errors import Forbidden, Unauthorized, no_bearer_token
from app.core.security import TokenIssuer
from app.core.types import PathId

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105  (a path, not a secret)
# auto_error=False: a missing token gets our problem+json 401, not FastAPI's.
bearer_token = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def get_token_issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer


TokenIssuerDep = Annotated[TokenIssuer, Depends(get_token_issuer)]


class LoginForm:
    """OAuth2's password form (the e-mail as `username`), bounded: a username no account
    can have (too long, NUL, blank) is 422, never looked up, counted or stored."""

    def __init__(
        self,
        *,
        username: Annotated[LoginEmail, Form(description="The e-mail address of your account.")],
        password: Annotated[
            LoginPassword,
            Form(description="That account's password.", json_schema_extra={"format": "password"}),
        ],
        grant_type: Annotated[
            str | None,
            Form(pattern="^password$", description="OAuth2's grant type: password, if given."),
        ] = None,
    ) -> None:
        self.username = username
        self.password = password
        self.grant_type = grant_type


async def client_address(request: Request) -> str:
    """Where a login comes from, as throttling counts it: the peer's address (behind a
    proxy uvicorn trusts, the address the proxy forwarded)."""
    return throttled_address(request.client.host if request.client else "")


ClientAddress = Annotated[str, Depends(client_address)]


async def current_principal(
    request: Request, token: Annotated[str | None, Depends(bearer_token)]
) -> Principal:
    """Authenticate the caller: part of every protected router's dependency (api.py),
    solved before the routes' own dependencies, which read its answer with `principal_of`."""
    if not token:
        raise no_bearer_token()
    caller = await _caller_for(request, token)
    if caller is None:
        raise Unauthorized("The token is invalid, expired or revoked.")
    if caller.usage_due:
        await _record_service_token_use(request, caller.principal.id)
    # The request's session names this principal in the audit log (get_session).
    request.state.principal = caller.principal
    request.state.caller = caller  # for signing out: which token it was
    return caller.principal


async def _caller_for(request: Request, token: str) -> service.Caller | None:
    # Called, not dependencies: FastAPI solves a dependency's whole subtree each time it is
    # named, even when its answer is cached.
    issuer = await get_token_issuer(request)
    reads = await direct_reads(request)
    identities = request.app.state.identity_tokens
    return await service.caller_for_token(
        reads=reads, issuer=issuer, token=token, identities=identities
    )


def identity_tokens_of(app: FastAPI) -> IdentityTokens | None:
    """The identity provider's token checks, when single sign-on is configured."""
    settings: Settings = app.state.settings
    if settings.oidc_issuer is None:
        return None

    async def record_user(identity: IdentityToken) -> None:
        def record() -> None:
            with open_session(app.state.engine, write=True) as session:
                oidc_users.record_identity(session=session, identity=identity)
                session.commit()

        async with turn(settings, write=True):
            try:
                await run_in_threadpool(record)
            except IntegrityError:  # another process made the user meanwhile: update it
                await run_in_threadpool(record)

    return IdentityTokens(settings, record_user=record_user)


async def calls_as_contributor(scope: Scope) -> bool:
    """Whether the request's bearer token is a contributor's or above: before its body is
    read, for the bodies only they may send (an import's 200 MiB)."""
    request = Request(scope)
    token = await bearer_token(request)
    caller = await _caller_for(request, token) if token else None
    return caller is not None and caller.principal.role.allows(Role.contributor)


async def _record_service_token_use(request: Request, token_id: int) -> None:
    def record() -> None:
        with open_session(request.app.state.engine, write=True) as session:
            service.record_service_token_use(session=session, token_id=token_id)
            session.commit()

    async with turn(request.app.state.settings, write=True):
        await run_in_threadpool(record)


async def principal_of(request: Request) -> Principal:
    """The caller `current_principal` authenticated for this request."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # a route outside the protected routers: never anonymous
        raise no_bearer_token()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(principal_of)]


async def caller_of(request: Request) -> service.Caller:
    """The caller `current_principal` authenticated, with the token it came with."""
    await principal_of(request)
    caller: service.Caller = request.state.caller
    return caller


CurrentCaller = Annotated[service.Caller, Depends(caller_of)]


def require_role(role: Role) -> Any:
    """A route dependency refusing (403) callers below `role`."""

    async def check(request: Request) -> Principal:
        principal = await principal_of(request)
        if not principal.role.allows(role):
            raise Forbidden(f"This needs the {role.value} role; you are {principal.role.value}.")
        return principal

    return Depends(check)


RequireContributor = require_role(Role.contributor)
RequireManager = require_role(Role.manager)
RequireAdmin = require_role(Role.admin)
# The caller, refused below contributor: one dependency where a hot route needs both.
CurrentContributor = Annotated[Principal, RequireContributor]


def valid_user(user_id: PathId, session: SessionDep, for_update: WriteIntent) -> User:
    return service.get_user(session=session, user_id=user_id, for_update=for_update)


ValidUser = Annotated[User, Depends(valid_user)]
