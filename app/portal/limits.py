"""The portal form's rate limits: per stakeholder (all their links alike) and per client
address, in windows of an hour."""

from datetime import timedelta

from sqlalchemy import Table
from sqlmodel import Session

from app.core.config import Settings
from app.core.throttle import Throttle
from app.core.types import utcnow
from app.portal.models import PortalThrottle
from app.stakeholders.models import Stakeholder

WINDOW = timedelta(hours=1)
PRUNED_PER_ATTEMPT = 100
_TABLE: Table = PortalThrottle.__table__  # type: ignore[attr-defined]
_FORM_USES = Throttle(_TABLE, keys=("key",), count="attempts")


def count_form_use(
    session: Session, settings: Settings, stakeholder: Stakeholder, *, client_address: str
) -> timedelta | None:
    """Count a use of the form and return None; or, over a limit, how long until it may be
    used again (then roll back: a refused use is not counted either)."""
    now = utcnow()
    limits = {
        f"stakeholder:{stakeholder.id}": settings.portal_requests_per_hour,
        f"address:{client_address}": settings.portal_requests_per_address_per_hour,
    }
    for key, limit in limits.items():
        attempts, expires_at = _FORM_USES.attempt(
            session, {"key": key}, limit=limit, now=now, until=now + WINDOW
        )
        if attempts > limit:
            return expires_at - now
    _FORM_USES.prune(session, now, at_most=PRUNED_PER_ATTEMPT)
    return None
