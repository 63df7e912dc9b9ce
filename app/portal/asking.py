"""A stakeholder asking for something on their portal: the form's fields as typed, each
mistake in words beside its field, the form's CSRF token, and the request it files
(channel `portal`, arriving as `new` like any other)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pydantic
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from app.auth.models import Principal, Role
from app.core.config import Settings
from app.core.security import is_link_signature, link_signature
from app.core.types import MoneyAmount, utcnow
from app.requests import service as requests
from app.requests.models import Channel, Customer, Description, RequestCreate, Title, Urgency
from app.stakeholders.models import Stakeholder

# The form's fields, in the order the page shows them and its error summary lists them.
FIELDS = ("title", "description", "customer", "revenue_at_stake", "urgency")
# A form shown is good for a working day: long enough to write, short enough to expire.
FORM_TOKEN_SECONDS = 12 * 3600


class AskedFor(BaseModel):
    """What the form files: the API's own rules for each field."""

    model_config = ConfigDict(extra="ignore")

    title: Title
    description: Description = ""
    customer: Customer | None = None
    revenue_at_stake: MoneyAmount | None = None
    urgency: Urgency = Urgency.medium


@dataclass
class AskForm:
    """The form as typed (shown again as typed when it has mistakes), and its mistakes
    by field."""

    typed: dict[str, str] = field(default_factory=lambda: {"urgency": Urgency.medium.value})
    errors: dict[str, str] = field(default_factory=dict)


def read_form(sent: Mapping[str, str]) -> tuple[AskForm, AskedFor | None]:
    """The form as sent, and what it asks for (None when it has a mistake)."""
    typed = {name: str(sent.get(name, "")) for name in FIELDS}
    values: dict[str, str | None] = {
        "title": typed["title"],
        "description": typed["description"].replace("\r\n", "\n"),
        "customer": typed["customer"].strip() or None,
        # 120,000 and 120 000 are how people write amounts.
        "revenue_at_stake": typed["revenue_at_stake"].replace(",", "").replace(" ", "") or None,
        "urgency": typed["urgency"] or None,
    }
    try:
        asked = AskedFor.model_validate({k: v for k, v in values.items() if v is not None})
    except pydantic.ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0])
            errors.setdefault(name, _in_words(name, error["type"]))
        return AskForm(typed, dict(sorted(errors.items(), key=lambda e: FIELDS.index(e[0])))), None
    return AskForm(typed), asked


def _in_words(name: str, error_type: str) -> str:
    if name == "title" and error_type in {"missing", "string_too_short", "value_error"}:
        return "Enter what you are asking for"
    return _RULES[name]


_RULES = {
    "title": "The title must be 300 characters or fewer",
    "description": "The description must be 100,000 characters or fewer",
    "customer": "The customer's name must be 200 characters or fewer",
    "revenue_at_stake": "Enter the revenue at stake as an amount, like 120000 or 1250.50",
    "urgency": "Select how urgent it is",
}


def file_request(session: Session, stakeholder: Stakeholder, asked: AskedFor) -> int:
    """The new request's id. Its creator is the stakeholder themselves, through their
    portal: no user, no service token."""
    assert stakeholder.id is not None
    data = RequestCreate.model_validate(
        asked.model_dump() | {"stakeholder_id": stakeholder.id, "channel": Channel.portal}
    )
    by_portal = Principal(
        kind="stakeholder",
        id=stakeholder.id,
        role=Role.viewer,
        label=stakeholder.email or stakeholder.name,
    )
    return requests.create(session=session, data=data, creator=by_portal).id


def form_token(settings: Settings, stakeholder: Stakeholder) -> str:
    """The form's CSRF token: for this stakeholder's current links, for a working day."""
    issued = int(utcnow().timestamp())
    return f"{issued}.{link_signature(settings, _signed(stakeholder, issued))}"


def is_form_token(settings: Settings, stakeholder: Stakeholder, given: str) -> bool:
    issued, _, signature = given.partition(".")
    if not (issued.isascii() and issued.isdigit() and len(issued) <= 12):
        return False
    if not 0 <= utcnow().timestamp() - int(issued) <= FORM_TOKEN_SECONDS:
        return False
    return is_link_signature(settings, _signed(stakeholder, int(issued)), signature)


def _signed(stakeholder: Stakeholder, issued: int) -> str:
    return f"portal-form:{stakeholder.id}:{stakeholder.portal_generation}:{issued}"
