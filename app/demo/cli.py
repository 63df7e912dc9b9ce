"""`reqtrack demo`: a realistic dataset to try the API on."""

from typing import Annotated

import typer
from sqlmodel import select

from app.auth import service as auth_service
from app.auth.first_admin import ensure_first_admin
from app.core.commands import clause, counted, fail, migrated_engine
from app.core.db import ACTOR_KEY, open_session
from app.core.errors import ProblemError
from app.demo.dataset import load
from app.stakeholders.models import Stakeholder


def demo(
    force: Annotated[
        bool, typer.Option("--force", help="Load even if the database already holds data.")
    ] = False,
) -> None:
    """Load a realistic demo dataset to try the API on.

    Stakeholders and their requests (sales needs SSO to close Acme, support drowns in
    export requests, finance wants revenue per product, marketing wants dates), the needs
    behind them, roadmap items and decisions with their whys. Then open
    GET /api/v1/reports/summary or a roadmap item's trace.
    """
    engine = migrated_engine()
    ensure_first_admin(engine)
    with open_session(engine, write=True) as session:
        decider = auth_service.command_principal(session=session, email=None)
        if decider is None:
            raise fail("no active admin to record the demo's decisions: create one first")
        if not force and session.exec(select(Stakeholder.id)).first() is not None:
            raise fail("the database already holds stakeholders: use --force to add the demo")
        session.info[ACTOR_KEY] = decider  # the audit log names who loaded it
        try:
            loaded = load(session, decider=decider)
        except ProblemError as exc:  # --force over an earlier demo: its e-mails are taken
            raise fail(f"cannot load the demo: {clause(exc.detail)}") from None
        session.commit()
    engine.dispose()
    counts = (
        counted(loaded.stakeholders, "stakeholder"),
        counted(loaded.requests, "request"),
        counted(loaded.needs, "need"),
        counted(loaded.roadmap_items, "roadmap item"),
        counted(loaded.decisions, "decision"),
    )
    typer.secho(
        f"demo loaded: {', '.join(counts)} (recorded by {decider.label})", fg=typer.colors.GREEN
    )
