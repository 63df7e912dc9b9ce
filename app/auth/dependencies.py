"""Who is calling, and may they: dependencies for routes."""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.audit.recorder import set_actor
from app.auth import service
from app.auth.models import Principal, Role
from app.core.db import SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.core.security import TokenIssuer

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105  (a path, not a secret)
# auto_error=False: a missing token gets our problem+json 401, not FastAPI's.
bearer_token = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def get_token_issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer


TokenIssuerDep = Annotated[TokenIssuer, Depends(get_token_issuer)]


def current_principal(
    session: SessionDep,
    issuer: TokenIssuerDep,
    token: Annotated[str | None, Depends(bearer_token)],
) -> Principal:
    if not token:
        raise Unauthorized("Send a bearer token: Authorization: Bearer <token>.", token_given=False)
    principal = service.principal_for_token(session=session, issuer=issuer, token=token)
    if principal is None:
        raise Unauthorized("The token is invalid, expired or revoked.")
    set_actor(session, principal)
    return principal


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
