"""Who is calling, and may they: dependencies for routes."""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from app.auth import service
from app.auth.models import Principal, Role
from app.core.db import open_session, turn
from app.core.direct import DirectReadsDep
from app.core.errors import Forbidden, Unauthorized
from app.core.security import TokenIssuer

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105  (a path, not a secret)
# auto_error=False: a missing token gets our problem+json 401, not FastAPI's.
bearer_token = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def get_token_issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer


TokenIssuerDep = Annotated[TokenIssuer, Depends(get_token_issuer)]


async def current_principal(
    request: Request,
    reads: DirectReadsDep,
    token: Annotated[str | None, Depends(bearer_token)],
) -> Principal:
    if not token:
        raise Unauthorized("Send a bearer token: Authorization: Bearer <token>.", token_given=False)
    # Called, not a dependency: one solve less on every request.
    issuer = await get_token_issuer(request)
    caller = await service.caller_for_token(reads=reads, issuer=issuer, token=token)
    if caller is None:
        raise Unauthorized("The token is invalid, expired or revoked.")
    if caller.usage_due:
        await _record_service_token_use(request, caller.principal.id)
    # The request's session names this principal in the audit log (get_session).
    request.state.principal = caller.principal
    return caller.principal


async def _record_service_token_use(request: Request, token_id: int) -> None:
    def record() -> None:
        with open_session(request.app.state.engine, write=True) as session:
            service.record_service_token_use(session=session, token_id=token_id)
            session.commit()

    async with turn(request.app.state.settings, write=True):
        await run_in_threadpool(record)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(role: Role) -> Any:
    """A route dependency refusing (403) callers below `role`."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.role.allows(role):
            raise Forbidden(f"This needs the {role.value} role; you are {principal.role.value}.")
        return principal

    return Depends(check)


RequireContributor = require_role(Role.contributor)
RequireManager = require_role(Role.manager)
RequireAdmin = require_role(Role.admin)
