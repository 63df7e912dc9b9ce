"""The unsubscribe page every notice links to (outside /api/v1, no login): GET asks,
POST stops (also the one-click POST mail clients send, RFC 8058)."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.pages import page_templates, render_page
from app.notices.unsubscribe import PATH, stakeholder_of, stop_notices

router = APIRouter(include_in_schema=False)
pages = page_templates(Path(__file__).parent / "templates")


@router.get(f"{PATH}/{{token}}")
def ask_to_unsubscribe(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    stakeholder = stakeholder_of(session, settings, token)
    if stakeholder is None:
        return _page(request, "invalid", "This link is no longer valid", status_code=404)
    return _page(request, "ask", "Stop messages about your requests", name=stakeholder.name)


@router.post(f"{PATH}/{{token}}")
def unsubscribe(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    stakeholder = stakeholder_of(session, settings, token)
    if stakeholder is None:
        return _page(request, "invalid", "This link is no longer valid", status_code=404)
    stop_notices(session, stakeholder)
    return _page(request, "done", "You will get no more messages", name=stakeholder.name)


def _page(
    request: Request, state: str, title: str, *, name: str = "", status_code: int = 200
) -> HTMLResponse:
    context = {"state": state, "title": title, "name": name}
    return render_page(pages, request, "unsubscribe.html", context, status_code=status_code)
