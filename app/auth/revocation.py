"""Ending tokens before they expire: one token signed out, or every token of a user."""

from datetime import UTC, datetime

from sqlalchemy import Table
from sqlmodel import Session

from app.auth.models import RevokedToken, User
from app.auth.oidc import IdentityToken
from app.core.db import insert_if_absent, insert_on_conflict
from app.core.models import apply_changes
from app.core.security import VerifiedToken
from app.core.throttle import prune_expired
from app.core.types import utcnow

# Expired rows deleted by each sign-out or spent code, at most: the table keeps live ones.
PRUNED_PER_SIGN_OUT = 100
_REVOKED: Table = RevokedToken.__table__  # type: ignore[attr-defined]


def sign_out(*, session: Session, user_id: int, token: VerifiedToken | IdentityToken) -> None:
    """Refuse this token from now until it expires, in every server process: the check
    rides on the read of the caller each request makes (service.caller_for_token)."""
    expires_at = datetime.fromtimestamp(token.expires, UTC)
    revoked = RevokedToken(token_digest=token.digest, user_id=user_id, expires_at=expires_at)
    insert_if_absent(session, revoked)
    prune_expired(session, _REVOKED, ("token_digest",), utcnow(), at_most=PRUNED_PER_SIGN_OUT)


def spend(*, session: Session, digest: str, user_id: int, expires_at: datetime) -> bool:
    """Record a one-time code as used, as a signed-out token is: False when it already
    was (by another request, in any server process)."""
    values = {"token_digest": digest, "user_id": user_id, "expires_at": expires_at}
    prune_expired(session, _REVOKED, ("token_digest",), utcnow(), at_most=PRUNED_PER_SIGN_OUT)
    inserted = session.execute(
        insert_on_conflict(session, _REVOKED)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(_REVOKED.c.token_digest)  # rowcount is not told on every driver
    )
    return inserted.first() is not None


def revoke_all_tokens(*, session: Session, user: User) -> datetime:
    """End every token issued to `user` until now: the moment they stop."""
    revoked_at = utcnow()
    apply_changes(user, {"tokens_valid_after": revoked_at})
    session.flush()
    return revoked_at
