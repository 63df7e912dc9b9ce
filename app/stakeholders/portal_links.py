"""The links that open a stakeholder's portal page: signed with the server's secret key,
so only the server makes one, and expiring. A link names the stakeholder by id only (no
personal data in the URL) and carries the stakeholder's link generation: revoking bumps
it in the database, so every link made before stops working in every server process."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.core.config import Settings
from app.core.security import is_link_signature, link_signature
from app.core.types import utcnow
from app.stakeholders.models import Stakeholder

PATH = "/portal"
# Ids, generation and expiry: at most 19 digits each (a BIGINT, a Unix time).
_MAX_DIGITS = 19


@dataclass(frozen=True)
class PortalLink:
    url: str
    expires_at: datetime


def portal_link(settings: Settings, stakeholder: Stakeholder) -> PortalLink:
    assert stakeholder.id is not None
    expires_at = (utcnow() + timedelta(days=settings.portal_link_days)).replace(microsecond=0)
    claims = (stakeholder.id, stakeholder.portal_generation, int(expires_at.timestamp()))
    token = ".".join([*map(str, claims), link_signature(settings, _signed(*claims))])
    return PortalLink(f"{settings.public_url.rstrip('/')}{PATH}/{token}", expires_at)


def revoke_portal_links(session: Session, stakeholder: Stakeholder) -> None:
    stakeholder.portal_generation += 1
    session.add(stakeholder)
    session.flush()


def stakeholder_of(session: Session, settings: Settings, token: str) -> Stakeholder | None:
    """The stakeholder a link we made names, while it holds; None for any other token
    (unknown, tampered with, expired or revoked alike)."""
    *parts, signature = token.split(".")
    if len(parts) != 3 or not all(
        p.isascii() and p.isdigit() and len(p) <= _MAX_DIGITS for p in parts
    ):
        return None
    stakeholder_id, generation, expires = map(int, parts)
    if not is_link_signature(settings, _signed(stakeholder_id, generation, expires), signature):
        return None
    if datetime.fromtimestamp(expires, UTC) <= utcnow():
        return None
    stakeholder = session.get(Stakeholder, stakeholder_id)
    if stakeholder is None or stakeholder.portal_generation != generation:
        return None
    return stakeholder


def _signed(stakeholder_id: int, generation: int, expires: int) -> str:
    return f"portal:{stakeholder_id}:{generation}:{expires}"
