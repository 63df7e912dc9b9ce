"""The link in every notice that stops them: signed with the server's secret key, so
only the server makes one, and good for as long as that key is (an old message's link
still works). It names the stakeholder by id only: no personal data in the URL."""

import base64
import hashlib
import hmac

from sqlmodel import Session

from app.core.config import Settings
from app.core.security import resolve_secret_key
from app.stakeholders import service as stakeholders
from app.stakeholders.models import Stakeholder, StakeholderUpdate

PATH = "/unsubscribe"


def unsubscribe_url(settings: Settings, stakeholder_id: int) -> str:
    return f"{settings.public_url.rstrip('/')}{PATH}/{_token(settings, stakeholder_id)}"


def _token(settings: Settings, stakeholder_id: int) -> str:
    return f"{stakeholder_id}.{_signature(settings, stakeholder_id)}"


def _signature(settings: Settings, stakeholder_id: int) -> str:
    key = resolve_secret_key(settings).encode()
    digest = hmac.new(key, f"unsubscribe:{stakeholder_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def stakeholder_of(session: Session, settings: Settings, token: str) -> Stakeholder | None:
    """The stakeholder a link we made names; None for any other token."""
    given_id, _, signature = token.partition(".")
    if not given_id.isascii() or not given_id.isdigit() or len(given_id) > 19:
        return None
    stakeholder_id = int(given_id)
    if not hmac.compare_digest(signature, _signature(settings, stakeholder_id)):
        return None
    return session.get(Stakeholder, stakeholder_id)


def stop_notices(session: Session, stakeholder: Stakeholder) -> None:
    """notify false, as a manager's PATCH sets it (versioned, audited, announced)."""
    stakeholders.update(
        session=session, stakeholder=stakeholder, data=StakeholderUpdate(notify=False)
    )
