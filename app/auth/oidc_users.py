"""The reqtrack user an identity provider's token names: made on their first sign-in,
their role following their groups at the provider."""

import secrets
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.auth import service
from app.auth.models import User, UserCreate
from app.auth.oidc import IdentityToken
from app.core.models import apply_changes
from app.core.types import utcnow


def record_identity(*, session: Session, identity: IdentityToken) -> None:
    """Create the user `identity` names, or give them the role their groups map to now
    (none: every token of theirs ends, though the account stays). A token newer than the
    last change ends the tokens issued before it, which carry the old groups."""
    chosen = select(User).where(col(User.email) == identity.email).with_for_update()
    user = session.exec(chosen).first()
    if user is None:
        if identity.role is not None:
            _first_sign_in(session, identity)
        return
    # The provider's clock may run ahead of ours: never end a token we issue after now.
    issued_at = min(datetime.fromtimestamp(identity.issued_at, UTC), utcnow())
    newer = user.tokens_valid_after is None or issued_at > user.tokens_valid_after
    if newer and user.role != identity.role:
        changes = {"tokens_valid_after": issued_at}
        apply_changes(user, changes | ({"role": identity.role} if identity.role else {}))
        session.flush()


def _first_sign_in(session: Session, identity: IdentityToken) -> None:
    assert identity.role is not None
    data = UserCreate(
        email=identity.email,
        display_name=identity.name or identity.email,
        role=identity.role,
        # They sign in at the provider; a password can be set later (a reset link).
        password=secrets.token_urlsafe(32),
    )
    service.create_user(session=session, data=data)
