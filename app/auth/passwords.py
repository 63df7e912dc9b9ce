"""Passwords: what a new one must be, setting one (which ends every older token), and
the one-time reset link an admin hands out."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlmodel import Session

from app.auth.models import User
from app.auth.password_rules import weak_password_reason
from app.auth.service import LoginAttempt, checked_password
from app.core.config import Settings
from app.core.errors import Forbidden, InvalidParameter, Unprocessable
from app.core.models import apply_changes
from app.core.security import hash_password, is_link_signature, link_signature
from app.core.types import MAX_ID, utcnow

RESET_LINK_LIFETIME = timedelta(hours=1)
MAX_NUMBER_DIGITS = 19  # a user id or a Unix time in a reset token
RESET_PAGE = "/password-reset"


def change_own_password(
    *, session: Session, attempt: LoginAttempt, current: str, new: str
) -> datetime:
    """Set the caller's new password, when `current` is theirs (403 otherwise; the attempt
    was counted like a login's): the moment their older tokens stopped."""
    user = checked_password(session=session, attempt=attempt, password=current)
    if user is None:
        raise Forbidden("The current password is wrong.")
    session.refresh(user, with_for_update=True)
    return set_password(session=session, user=user, password=new)


def set_password(
    *, session: Session, user: User, password: str, field: str = "new_password"
) -> datetime:
    """Give `user` this password (refused as the body's `field` when weak), and end every
    token issued before: the moment they stop, for a token issued to go on working."""
    reason = weak_password_reason(password, user.email)
    if reason is not None:
        raise InvalidParameter(reason, loc=["body", field])
    changed_at = utcnow()
    changes = {"password_hash": hash_password(password), "tokens_valid_after": changed_at}
    apply_changes(user, changes)
    session.flush()
    return changed_at


# Reset links


@dataclass(frozen=True)
class ResetLink:
    url: str
    expires_at: datetime


def reset_link(*, settings: Settings, user: User) -> ResetLink:
    """A link that sets `user`'s password once within the hour. It signs the current
    password's hash: once any new password is set, this link and every other opens nothing."""
    expires_at = (utcnow() + RESET_LINK_LIFETIME).replace(microsecond=0)
    expires = int(expires_at.timestamp())
    signature = link_signature(settings, _signed(user, expires))
    token = f"{user.id}.{expires}.{signature}"
    return ResetLink(f"{settings.public_url}{RESET_PAGE}?{urlencode({'token': token})}", expires_at)


def reset_user(
    *, session: Session, settings: Settings, token: str, for_update: bool = True
) -> User:
    """The user whose live reset link `token` is (locked for the change, unless only
    looked at); refused as the body's token otherwise, one answer for every way it fails."""
    parts = token.split(".")
    user = None
    if len(parts) == 3 and all(_is_number(part) for part in parts[:2]):
        user_id = int(parts[0])
        user = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    # Checked on a plain read, then locked: a forged token takes no lock on anyone.
    if user is not None and _is_reset_token_of(settings, user, parts):
        if not for_update:
            return user
        session.refresh(user, with_for_update=True)
        if _is_reset_token_of(settings, user, parts):  # not spent meanwhile
            return user
    raise Unprocessable(
        "This reset link is invalid, expired or already used; ask an admin for a new one.",
        loc=["body", "token"],
    )


def _is_number(text: str) -> bool:
    # ASCII only: str.isdigit() also takes "²" and other scripts' digits.
    return 0 < len(text) <= MAX_NUMBER_DIGITS and text.isascii() and text.isdigit()


def _is_reset_token_of(settings: Settings, user: User, parts: list[str]) -> bool:
    """Whether the token's parts are a live reset token of `user`: signed by this server
    for the password they have now, and not expired."""
    expires = int(parts[1])  # signed with the rest: a later one cannot be forged
    if expires < utcnow().timestamp():
        return False
    return is_link_signature(settings, _signed(user, expires), parts[2])


def _signed(user: User, expires: int) -> str:
    return f"password-reset:{user.id}:{expires}:{user.password_hash}"
