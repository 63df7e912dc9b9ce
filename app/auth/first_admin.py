"""The first admin account, made by the first command that needs one (serve, demo)."""

import secrets

import typer
from pydantic import ValidationError
from sqlalchemy import Engine

from app.auth import service
from app.core.commands import clause, fail
from app.core.config import get_settings
from app.core.db import open_session

DEFAULT_ADMIN_EMAIL = "admin@localhost"


def ensure_first_admin(engine: Engine) -> None:
    """With no user yet, create the admin REQTRACK_ADMIN_EMAIL/PASSWORD name (or a default
    e-mail and a generated password, printed once)."""
    settings = get_settings()
    with open_session(engine, write=True) as session:
        email = settings.admin_email or DEFAULT_ADMIN_EMAIL
        given = settings.admin_password.get_secret_value() if settings.admin_password else None
        password = given or secrets.token_urlsafe(18)
        try:
            admin = service.ensure_first_admin(session=session, email=email, password=password)
        except ValidationError as exc:  # its message only: the input is the password
            reasons = "; ".join(clause(error["msg"]) for error in exc.errors())
            raise fail(f"REQTRACK_ADMIN_EMAIL/PASSWORD refused: {reasons}") from None
        session.commit()
    if admin is not None and given is None:
        # Printed once, to the terminal only: it is never logged or stored in clear.
        typer.secho(
            f"\nfirst start: created admin {email} with password {password}\n"
            "keep it now: it is not shown again\n",
            fg=typer.colors.YELLOW,
        )
