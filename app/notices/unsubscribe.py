"""The link in every notice that stops them: signed with the server's secret key, so
only the server makes one, and good for as long as that key is (an old message's link
still works). It names the stakeholder by id only: no personal data in the URL."""

from sqlmodel import Session

from app.core.config import Settings
from app.core.security import is_link_signature, link_signature
from app.stakeholders import service as stakeholders
from app.stakeholders.models import Stakeholder, StakeholderUpdate

PATH = "/unsubscribe"


def unsubscribe_url(settings: Settings, stakeholder_id: int) -> str:
    return f"{settings.public_url.rstrip('/')}{PATH}/{_token(settings, stakeholder_id)}"


def _token(settings: Settings, stakeholder_id: int) -> str:
    return f"{stakeholder_id}.{link_signature(settings, _signed(stakeholder_id))}"


def _signed(stakeholder_id: int) -> str:
    return f"unsubscribe:{stakeholder_id}"


def stakeholder_of(session: Session, settings: Settings, token: str) -> Stakeholder | None:
    """The stakeholder a link we made names; None for any other token."""
    given_id, _, signature = token.partition(".")
    if not given_id.isascii() or not given_id.isdigit() or len(given_id) > 19:
        return None
    stakeholder_id = int(given_id)
    if not is_link_signature(settings, _signed(stakeholder_id), signature):
        return None
    return session.get(Stakeholder, stakeholder_id)


def stop_notices(session: Session, stakeholder: Stakeholder) -> None:
    """notify false, as a manager's PATCH sets it (versioned, audited, announced)."""
    stakeholders.update(
        session=session, stakeholder=stakeholder, data=StakeholderUpdate(notify=False)
    )
