"""The reqtrack user an identity provider's token names: made on their first sign-in,
their role following their groups at the provider."""

import secrets
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.auth.models import User
from app.auth.oidc import IdentityToken
from app.core.models import apply_changes
from app.core.security import hash_password


def record_identity(*, session: Session, identity: IdentityToken) -> None:
    """Create the user `identity` names, or give them the role their groups map to now.
    A role change ends the tokens issued before this one, which carry the old groups."""
    assert identity.role is not None
    chosen = select(User).where(col(User.email) == identity.email).with_for_update()
    user = session.exec(chosen).first()
    if user is None:
        session.add(
            User(
                email=identity.email,
                display_name=identity.name or identity.email,
                role=identity.role,
                # They sign in at the provider; a password can be set later (a reset link).
                password_hash=hash_password(secrets.token_urlsafe(32)),
            )
        )
        session.flush()
        return
    issued_at = datetime.fromtimestamp(identity.issued_at, UTC)
    newer = user.tokens_valid_after is None or issued_at >= user.tokens_valid_after
    if user.role != identity.role and newer:
        apply_changes(user, {"role": identity.role, "tokens_valid_after": issued_at})
        session.flush()
