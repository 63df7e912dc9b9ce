"""A stakeholder's portal (outside /api/v1, no login: the signed link is the key): their
requests with what we decided and why, a form to ask for something, and the roadmap
items meant for them. Every bad link gets the same 404 page, which tells nothing."""

from datetime import timedelta
from math import ceil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.dependencies import ClientAddress
from app.core.config import Settings, SettingsDep
from app.core.db import SessionDep
from app.core.pages import SentForm, page_templates, render_page
from app.portal.asking import AskForm, file_request, form_token, is_form_token, read_form
from app.portal.limits import count_form_use
from app.portal.reads import MOST_SHOWN, public_roadmap, stakeholder_page
from app.roadmap.models import Horizon
from app.stakeholders.models import Stakeholder
from app.stakeholders.portal_links import PATH, stakeholder_of

router = APIRouter(prefix=f"{PATH}/{{token}}", include_in_schema=False)
pages = page_templates(Path(__file__).parent / "templates")


class LinkNoLongerValid(Exception):
    """The token is unknown, tampered with, expired or revoked: which, the page never says."""


def link_holder(token: str, session: SessionDep, settings: SettingsDep) -> Stakeholder:
    stakeholder = stakeholder_of(session, settings, token)
    if stakeholder is None:
        raise LinkNoLongerValid
    return stakeholder


LinkHolder = Annotated[Stakeholder, Depends(link_holder)]


def no_longer_valid(request: Request, _: Exception) -> HTMLResponse:
    context = {"title": "This link is no longer valid"}
    return render_page(pages, request, "invalid.html", context, status_code=404)


# HEAD too: mail scanners check a link before a person opens it.
@router.api_route("", methods=["GET", "HEAD"])
def show_requests(
    stakeholder: LinkHolder, request: Request, session: SessionDep, asked: str = ""
) -> HTMLResponse:
    page = stakeholder_page(session, stakeholder)
    context = {"page": page, "most_shown": MOST_SHOWN, "asked": asked == "true"}
    return _page(request, "requests.html", "Your requests", stakeholder, context)


@router.api_route("/requests/new", methods=["GET", "HEAD"])
def show_form(stakeholder: LinkHolder, request: Request, settings: SettingsDep) -> HTMLResponse:
    return _form_page(request, settings, stakeholder, AskForm())


@router.post("/requests")
def ask(
    stakeholder: LinkHolder,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    sent: SentForm,
    client_address: ClientAddress,
) -> Response:
    form, asked = read_form(sent)
    if not is_form_token(settings, stakeholder, sent.get("csrf_token", "")):
        form.errors = {"form": "This form had expired. Check your answers and send it again."}
        return _form_page(request, settings, stakeholder, form, status.HTTP_403_FORBIDDEN)
    wait = count_form_use(session, settings, stakeholder, client_address=client_address)
    if wait is not None:
        session.rollback()
        form.errors = {"form": f"This form was sent too often. Try again in {_minutes(wait)}."}
        retry = {"Retry-After": str(ceil(wait.total_seconds()))}
        return _form_page(request, settings, stakeholder, form, 429, retry)
    if asked is None:
        return _form_page(request, settings, stakeholder, form, 422)
    file_request(session, stakeholder, asked)
    # See Other: reloading the page it lands on does not send the form again.
    return RedirectResponse(f"{_home(request)}?asked=true", status.HTTP_303_SEE_OTHER)


@router.api_route("/roadmap", methods=["GET", "HEAD"])
def show_roadmap(stakeholder: LinkHolder, request: Request, session: SessionDep) -> HTMLResponse:
    context = {"roadmap": public_roadmap(session), "horizons": list(Horizon)}
    return _page(request, "roadmap.html", "Our roadmap", stakeholder, context)


def _form_page(
    request: Request,
    settings: Settings,
    stakeholder: Stakeholder,
    form: AskForm,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    context = {"form": form, "csrf_token": form_token(settings, stakeholder)}
    return _page(
        request, "ask.html", "Ask for something", stakeholder, context,
        status_code=status_code, headers=headers,
    )  # fmt: skip


def _page(
    request: Request,
    template: str,
    title: str,
    stakeholder: Stakeholder,
    context: dict[str, Any],
    **response: Any,
) -> HTMLResponse:
    """A page of the portal: its navigation leads to the other pages of the same link."""
    home = _home(request)
    shared = {"title": title, "name": stakeholder.name, "home": home, "current": request.url.path}
    return render_page(pages, request, template, context | shared, **response)


def _home(request: Request) -> str:
    """The stakeholder's page, under the link the request came by."""
    return f"{PATH}/{request.path_params['token']}"


def _minutes(wait: timedelta) -> str:
    minutes = max(1, ceil(wait.total_seconds() / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
