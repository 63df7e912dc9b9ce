"""`reqtrack portal-link`: a stakeholder's portal link, from the command line."""

from typing import Annotated

import typer
from sqlmodel import select

from app.core.commands import fail, migrated_engine
from app.core.config import get_settings
from app.core.db import open_session
from app.stakeholders.models import Stakeholder
from app.stakeholders.portal_links import portal_link


def portal_link_command(
    email: Annotated[str, typer.Argument(help="The stakeholder's e-mail.")],
) -> None:
    """Print a new link to a stakeholder's portal page: their requests, what was decided
    and why, and a form to ask for more. Anyone holding it can open the page until it
    expires (REQTRACK_PORTAL_LINK_DAYS); revoke them all with
    DELETE /api/v1/stakeholders/{id}/portal-links."""
    with open_session(migrated_engine(), write=False) as session:
        # Stored lower-case (app/core/types.py): one spelling.
        found = select(Stakeholder).where(Stakeholder.email == email.strip().lower())
        stakeholder = session.exec(found).first()
    if stakeholder is None:
        raise fail(f"no stakeholder with e-mail {email}")
    link = portal_link(get_settings(), stakeholder)
    typer.echo(link.url)
    typer.echo(f"valid until {link.expires_at:%Y-%m-%d %H:%M} UTC", err=True)
