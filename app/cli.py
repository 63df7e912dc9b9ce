"""The `reqtrack` command line."""

import asyncio
import math
import os
import secrets
import signal
import socket
from typing import Annotated

import typer
import uvicorn
from pydantic import TypeAdapter, ValidationError
from sqlmodel import select

from app.auth import passwords
from app.auth import service as auth_service
from app.auth.first_admin import ensure_first_admin
from app.auth.models import (
    Password,
    Role,
    User,
    UserCreate,
    UserUpdate,
    login_key,
    throttled_address,
)
from app.core.commands import clause, counted, fail, migrated_engine, one_line
from app.core.config import get_settings
from app.core.db import make_engine, open_session
from app.core.errors import ProblemError
from app.core.migrations import current_revision, head_revision
from app.core.worker import PollingWorker
from app.demo.cli import demo
from app.notices.sender import NoticeSender
from app.portal.cli import portal_link_command
from app.transfer.cli import export, import_cli
from app.webhooks.dispatcher import Dispatcher

cli = typer.Typer(
    help="reqtrack: stakeholder requirements tracker. Start with `reqtrack serve`; "
    "`reqtrack demo` fills an empty database with something to look at. Settings come "
    "from the environment (DATABASE_URL, REQTRACK_*; see the README).",
    no_args_is_help=True,
)
db_cli = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)
users_cli = typer.Typer(
    help="User accounts: create, list, change role or password, deactivate, unlock."
)
cli.add_typer(db_cli, name="db")
webhooks_cli = typer.Typer(help="Webhook deliveries.", no_args_is_help=True)
cli.add_typer(users_cli, name="users", no_args_is_help=True)
cli.add_typer(webhooks_cli, name="webhooks")
notices_cli = typer.Typer(help="Notices to stakeholders.", no_args_is_help=True)
cli.add_typer(notices_cli, name="notices")
cli.add_typer(import_cli, name="import", no_args_is_help=True)
cli.command("export")(export)
cli.command("demo")(demo)
cli.command("portal-link")(portal_link_command)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
) -> None:
    """Serve the API (migrating the database first); docs at /docs."""
    _ensure_free(host, port)
    settings = get_settings()
    engine = migrated_engine()
    ensure_first_admin(engine)
    engine.dispose()
    typer.echo(f"reqtrack on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,  # the app logs each request itself, with its request id
        http="app.ops.http:BoundedHttpToolsProtocol",
        server_header=False,  # no need to tell the world what serves it
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_seconds),
    )


def _ensure_free(host: str, port: int) -> None:
    """Refuse a port in use in one line, before migrating: uvicorn would say it among
    its log lines, after starting the app."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn chooses
    try:
        socket.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
        socket.create_server((host, port), family=family).close()
    except socket.gaierror as exc:  # no such host
        raise fail(f"cannot listen on {host}:{port}: {clause(exc.strerror or str(exc))}") from None
    except OSError as exc:  # its strerror carries the address again: the code's words only
        reason = clause(os.strerror(exc.errno) if exc.errno else str(exc))
        raise fail(f"cannot listen on {host}:{port}: {reason}") from None


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    engine = migrated_engine()
    typer.echo(f"database at {current_revision(engine)}")


@db_cli.command("current")
def db_current() -> None:
    """Show the database's schema revision and the latest one."""
    engine = make_engine(get_settings())
    current, head = current_revision(engine), head_revision()
    typer.echo(f"current: {current or 'empty'}\nhead:    {head}")
    if current != head:
        raise fail("the database is not at the latest schema: run `reqtrack db upgrade`")


# The option of `users create` each field of a new user comes from.
_OPTION_OF_FIELD = {"display_name": "name"}


@users_cli.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login e-mail.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")] = Role.viewer,
    name: Annotated[str | None, typer.Option(help="Display name (default: the e-mail).")] = None,
    password: Annotated[
        str | None, typer.Option(help="Password (default: generated and printed once).")
    ] = None,
) -> None:
    """Create a user account."""
    chosen = password or secrets.token_urlsafe(18)
    try:
        data = UserCreate(email=email, display_name=name or email, role=role, password=chosen)
    except ValidationError as exc:
        first = exc.errors()[0]
        option = _OPTION_OF_FIELD.get(str(first["loc"][0]), str(first["loc"][0]))
        raise fail(f"invalid --{option}: {clause(first['msg'])}") from None
    with open_session(migrated_engine(), write=True) as session:
        try:
            user = auth_service.create_user(session=session, data=data)
        except ProblemError as exc:
            raise fail(clause(exc.detail)) from None
        session.commit()
    typer.echo(f"created user {user.id} {user.email} ({user.role})")
    if password is None:
        typer.echo(f"password: {chosen}  (shown once)")


@users_cli.command("list")
def users_list() -> None:
    """List user accounts."""
    with open_session(migrated_engine(), write=False) as session:
        for user in session.exec(select(User).order_by(User.id)):  # type: ignore[arg-type]
            state = "active" if user.active else "inactive"
            typer.echo(f"{user.id}\t{user.email}\t{user.role}\t{state}")


def _update_user(email: str, changes: UserUpdate) -> None:
    with open_session(migrated_engine(), write=True) as session:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            raise fail(f"no user with e-mail {email}")
        auth_service.update_user(session=session, user=user, data=changes)
        session.commit()
        typer.echo(f"{user.email}: role {user.role}, {'active' if user.active else 'inactive'}")


@users_cli.command("set-role")
def users_set_role(email: str, role: Role) -> None:
    """Change a user's role."""
    _update_user(email, UserUpdate(role=role))


@users_cli.command("deactivate")
def users_deactivate(email: str) -> None:
    """Deactivate a user: their tokens stop working at once, and for good."""
    _update_user(email, UserUpdate(active=False))


@users_cli.command("set-password")
def users_set_password(
    email: str,
    password: Annotated[
        str | None, typer.Option(help="The new password (default: generated and printed once).")
    ] = None,
) -> None:
    """Set a user's password: every token they had stops working."""
    chosen = password or secrets.token_urlsafe(18)
    try:
        TypeAdapter(Password).validate_python(chosen)
    except ValidationError as exc:
        raise fail(f"invalid --password: {clause(exc.errors()[0]['msg'])}") from None
    with open_session(migrated_engine(), write=True) as session:
        user = session.exec(select(User).where(User.email == login_key(email))).first()
        if user is None:
            raise fail(f"no user with e-mail {email}")
        try:
            passwords.set_password(session=session, user=user, password=chosen)
        except ProblemError as exc:
            raise fail(f"invalid --password: {clause(exc.detail)}") from None
        session.commit()
    typer.echo(f"{user.email}: password set; their earlier tokens no longer work")
    if password is None:
        typer.echo(f"password: {chosen}  (shown once)")


@users_cli.command("unlock")
def users_unlock(
    email: Annotated[str | None, typer.Argument(help="The e-mail to unlock.")] = None,
    address: Annotated[
        str | None, typer.Option(help="Only from this client address (alone: every e-mail).")
    ] = None,
) -> None:
    """Clear failed logins and lockouts: an e-mail's from every address, an address's, or
    one e-mail's from one address."""
    email, address = (email or "").strip() or None, (address or "").strip() or None
    if email is None and address is None:
        raise fail("give the e-mail or the --address whose lockouts to clear")
    engine = migrated_engine()
    try:
        with open_session(engine, write=True) as session:
            cleared = auth_service.unlock_logins(session=session, email=email, address=address)
            session.commit()
    finally:
        engine.dispose()
    whose = " from ".join(
        part
        for part in (email and login_key(email), address and throttled_address(address))
        if part
    )
    typer.echo(
        f"{whose}: cleared {counted(cleared, 'record')} of failed logins"
        if cleared
        else f"{whose}: no failed logins recorded"
    )


@webhooks_cli.command("run")
def webhooks_run() -> None:
    """Deliver webhooks in this process until stopped (Ctrl-C or SIGTERM).

    Run it when the servers have REQTRACK_WEBHOOK_DISPATCHER_ENABLED=false, or beside them:
    dispatchers share the work through the database and never send one delivery twice
    at once.
    """
    settings = get_settings()
    _run_until_signalled(Dispatcher(engine=migrated_engine(), settings=settings), "webhooks")


@notices_cli.command("run")
def notices_run() -> None:
    """Send notices in this process until stopped (Ctrl-C or SIGTERM).

    Run it when the servers have REQTRACK_NOTICE_SENDER_ENABLED=false, or beside them:
    senders share the work through the database and never send one notice twice at once.
    """
    settings = get_settings()
    _run_until_signalled(NoticeSender(engine=migrated_engine(), settings=settings), "notices")


def _run_until_signalled(worker: PollingWorker, what: str) -> None:
    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        typer.echo(f"{what}: sending; stop with Ctrl-C")
        await worker.run(stop)

    asyncio.run(run())
    worker.engine.dispose()
    typer.echo("stopped")


def main() -> None:
    # Not standalone: click's usage errors reach us, rather than typer's boxed panel.
    try:
        code = cli(standalone_mode=False)
    except typer.Abort:  # Ctrl-C at a prompt
        say("reqtrack: aborted")
        raise SystemExit(1) from None
    except Exception as exc:  # any failure: one line on stderr and a non-zero exit
        if (usage := _usage_error(exc)) is not None:
            if usage:  # else the command's help was shown: it was called with nothing
                say(f"reqtrack: {usage}")
            raise SystemExit(2) from None  # as click's own usage errors
        say(f"reqtrack: {one_line(exc)}")
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def say(failure: str) -> None:
    typer.secho(failure, err=True, fg=typer.colors.RED)


def _usage_error(exc: Exception) -> str | None:
    """A wrong command, option or argument, in a line with where to read more ("" when
    the command's help was shown instead); None for any other failure. Click's
    UsageError is recognised by what it has: typer vendors its own copy of click, so
    the class is not one we can import."""
    format_message = getattr(exc, "format_message", None)
    if getattr(exc, "exit_code", None) != 2 or format_message is None:
        return None
    if not (message := format_message()):
        return ""
    command = getattr(getattr(exc, "ctx", None), "command_path", None) or "reqtrack"
    return f"{clause(message)} (see {command} --help)"
