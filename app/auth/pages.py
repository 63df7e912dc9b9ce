"""The page an admin's password-reset link opens (outside /api/v1, no login: the link's
token is the key): a form for the new password, typed twice. Every dead link (unknown,
tampered with, expired, already used) gets the same 410 page, which tells nothing."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.auth import passwords
from app.auth.models import ResetToken, User
from app.auth.password_rules import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, weak_password_reason
from app.core.config import Settings, SettingsDep
from app.core.db import SessionDep
from app.core.errors import InvalidParameter, Unprocessable
from app.core.pages import SentForm, page_templates, render_page

router = APIRouter(include_in_schema=False)
pages = page_templates(Path(__file__).parent / "templates")
_RESET_TOKEN = pydantic.TypeAdapter(ResetToken)


@dataclass
class ResetForm:
    """The form's mistakes by field. What was typed is never shown again: a password
    does not go back into a page."""

    errors: dict[str, str] = field(default_factory=dict)


# HEAD too: mail scanners check a link before a person opens it. Neither uses the link up.
@router.api_route(passwords.RESET_PAGE, methods=["GET", "HEAD"])
def show_reset_form(
    request: Request, session: SessionDep, settings: SettingsDep, token: str = ""
) -> HTMLResponse:
    if _reset_user(session, settings, token, for_update=False) is None:
        return _no_longer_works(request)
    return _form_page(request, token, ResetForm())


@router.post(passwords.RESET_PAGE)
def reset_password(
    request: Request, session: SessionDep, settings: SettingsDep, sent: SentForm
) -> HTMLResponse:
    token = sent.get("token", "")
    user = _reset_user(session, settings, token)
    if user is None:
        return _no_longer_works(request)
    new, again = sent.get("new_password", ""), sent.get("confirm_password", "")
    form = ResetForm(_mistakes(new, again, user.email))
    if not form.errors:
        try:
            passwords.set_password(session=session, user=user, password=new)
        except InvalidParameter as weak:
            form.errors = {"new_password": weak.detail}
    if form.errors:
        session.rollback()  # nothing was changed; the user's row is not kept locked
        return _form_page(request, token, form, status.HTTP_422_UNPROCESSABLE_CONTENT)
    # The session's dependency commits before this page is sent.
    return render_page(pages, request, "password_reset_done.html", {"title": "Password set"})


def _reset_user(
    session: Session, settings: Settings, token: str, *, for_update: bool = True
) -> User | None:
    """The user whose live reset link `token` is (locked to set it), or None. A token the
    API would refuse by its shape alone (too long, odd characters) is not looked up."""
    try:
        _RESET_TOKEN.validate_python(token)
        return passwords.reset_user(
            session=session, settings=settings, token=token, for_update=for_update
        )
    except (pydantic.ValidationError, Unprocessable):
        return None


def _mistakes(new: str, again: str, email: str) -> dict[str, str]:
    """Each field's first mistake, all shown at once: the API's rules for a new password
    (set_password checks its strength again), and the second typing matching the first."""
    first = _new_password_mistake(new, email)
    mistakes = {"new_password": first, "confirm_password": _confirmation_mistake(new, again)}
    if first is not None and mistakes["confirm_password"] != _TYPE_AGAIN:
        del mistakes["confirm_password"]  # whether it matches a refused one does not matter
    return {name: mistake for name, mistake in mistakes.items() if mistake is not None}


_TYPE_AGAIN = "Enter the new password again"
_TOO_LONG = f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer"


def _new_password_mistake(new: str, email: str) -> str | None:
    return weak_password_reason(new, email) if new else "Enter a new password"


def _confirmation_mistake(new: str, again: str) -> str | None:
    if not again:
        return _TYPE_AGAIN
    if len(again) > MAX_PASSWORD_LENGTH:
        return _TOO_LONG
    return "The passwords do not match; type the same one twice" if again != new else None


def _form_page(
    request: Request, token: str, form: ResetForm, status_code: int = 200
) -> HTMLResponse:
    context: dict[str, Any] = {
        "title": "Set your password",
        "form": form,
        "token": token,
        "action": passwords.RESET_PAGE,
        "min_length": MIN_PASSWORD_LENGTH,
        "max_length": MAX_PASSWORD_LENGTH,
    }
    return render_page(pages, request, "password_reset.html", context, status_code=status_code)


def _no_longer_works(request: Request) -> HTMLResponse:
    context = {"title": "This link no longer works"}
    return render_page(
        pages, request, "password_reset_invalid.html", context, status_code=status.HTTP_410_GONE
    )
