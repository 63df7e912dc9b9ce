"""What every server-rendered page shares (the unsubscribe page, the stakeholder
portal): one layout and style, Jinja2 escaping every value, and headers that keep a
page about one person private and inert."""

import base64
import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from app.core.errors import UnsupportedMediaType

_TEMPLATES = Path(__file__).parent / "templates"
STYLE = (_TEMPLATES / "page.css").read_text()
# The one inline style the layout carries is allowed by its hash: no other style and no
# script of any kind runs, even if a stored string slipped past escaping.
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"style-src 'sha256-{_STYLE_HASH}'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    # The URL is the key to the page: never sent on to another site.
    "Referrer-Policy": "no-referrer",
    # A page about one person: never kept by a shared cache, nor on the device.
    "Cache-Control": "no-store",
}


def page_templates(directory: Path) -> Jinja2Templates:
    """A domain's templates (`directory`), with the shared layout (`layout.html`)."""
    templates = Jinja2Templates(directory=[directory, _TEMPLATES])
    templates.env.globals["page_style"] = Markup(STYLE)  # noqa: S704  (our own file)
    templates.env.filters["day"] = day_in_words
    return templates


def render_page(
    templates: Jinja2Templates,
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        dict(context),
        status_code=status_code,
        headers=PAGE_HEADERS | dict(headers or {}),
    )


FORM_TYPE = "application/x-www-form-urlencoded"
# The pages' forms have a few fields each: more is not a browser sending one.
MAX_FORM_FIELDS = 20


async def sent_form(request: Request) -> dict[str, str]:
    """The fields as a page's form sends them: URL-encoded, which decodes to text
    whatever the bytes. Anything else (multipart decodes by the charset it names, which
    can make text no database stores) is refused."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise UnsupportedMediaType(f"Send the form as {FORM_TYPE}, as its page does.")
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    return {name: value for name, value in form.items() if isinstance(value, str)}


SentForm = Annotated[dict[str, str], Depends(sent_form)]


def day_in_words(value: date | datetime | None) -> str:
    """6 December 2026: the same for every reader, whatever their locale's order."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"
