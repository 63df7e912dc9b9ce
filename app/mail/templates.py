"""Mail bodies from Jinja2 templates: `<stem>.txt` and `<stem>.html`, the package's own
(app/mail/templates/) unless REQTRACK_TEMPLATES_DIR has a file of the same name."""

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

from app.core.config import Settings


class RenderedBodies(NamedTuple):
    text: str
    html: str


def render(name_stem: str, context: Mapping[str, Any], *, settings: Settings) -> RenderedBodies:
    """Both bodies of a message. Values are escaped in the HTML and left as they are in
    the text; a name the template uses but the context lacks is an error, not a blank."""
    templates = mail_templates(settings.templates_dir)
    return RenderedBodies(
        text=render_text(name_stem, context, settings=settings),
        html=templates.get_template(f"{name_stem}.html").render(context),
    )


def render_text(name_stem: str, context: Mapping[str, Any], *, settings: Settings) -> str:
    """The plain text body alone."""
    return mail_templates(settings.templates_dir).get_template(f"{name_stem}.txt").render(context)


@lru_cache(maxsize=8)
def mail_templates(templates_dir: Path | None) -> Environment:
    """The templates, an operator's folder first. A changed file is read again; a new
    override of a template already used is seen after a restart."""
    loaders: list[BaseLoader] = [PackageLoader("app.mail", "templates")]
    if templates_dir is not None:
        loaders.insert(0, FileSystemLoader(templates_dir))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
