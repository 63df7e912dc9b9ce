"""A realistic week of asks, written through the services as the API would write them.

Sales needs SSO to close an enterprise deal; support is drowning in export requests;
finance wants revenue per product; marketing wants roadmap dates. Behind the asks are a
few needs, and the roadmap answers some of them, with the why and what was told back.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.auth.models import Principal
from app.core.types import utcnow
from app.deciding import service as decisions
from app.decisions.models import DecisionCreate, Outcome
from app.demo.week import Week
from app.needs import service as needs
from app.needs.models import Need, NeedCreate
from app.notices import gathering  # noqa: F401  (the demo's decisions owe notices too)
from app.requests import service as requests
from app.requests.models import Channel, Request, RequestCreate, Urgency
from app.roadmap import service as roadmap
from app.roadmap.models import (
    Horizon,
    RoadmapItem,
    RoadmapItemCreate,
    RoadmapStatus,
    Visibility,
)
from app.stakeholders import service as stakeholders
from app.stakeholders.models import Stakeholder, StakeholderCreate, StakeholderGroup

# The demo's own domain: its e-mails can never be anyone's.
DOMAIN = "demo.reqtrack.example"


@dataclass
class Loaded:
    stakeholders: int
    requests: int
    needs: int
    roadmap_items: int
    decisions: int


def load(session: Session, *, decider: Principal) -> Loaded:
    """Write the demo dataset in `session` (the caller commits), dated over the last
    working days."""
    week = Week(utcnow().date())
    people = {
        key: stakeholders.create(session=session, data=StakeholderCreate(**fields))
        for key, fields in _PEOPLE.items()
    }
    items = {
        key: roadmap.create(session=session, data=RoadmapItemCreate(**fields))
        for key, fields in _ROADMAP.items()
    }
    found = {
        key: needs.create(session=session, data=NeedCreate(**fields))
        for key, fields in _NEEDS.items()
    }
    week.date_before_the_first_ask(session, [*people.values(), *items.values(), *found.values()])
    asks: dict[str, int] = {}
    for key, (who, need, fields) in _REQUESTS.items():
        # Triaged ones are filed under the need behind them.
        need_id = _id(found[need]) if need is not None else None
        ask = RequestCreate(stakeholder_id=_id(people[who]), need_id=need_id, **fields)
        asks[key] = requests.create(session=session, data=ask, creator=decider).id
        week.date_request(session, asks[key], key)
    for subject_key, outcome, item, why, message, revisit in _DECISIONS:
        subject: Need | Request = (
            found[subject_key]
            if subject_key in found
            else requests.get(session=session, request_id=asks[subject_key])
        )
        data = DecisionCreate(
            outcome=outcome,
            why=why,
            stakeholder_message=message,
            roadmap_item_id=_id(items[item]) if item else None,
            revisit_at=date.today() + timedelta(days=revisit) if revisit else None,
        )
        decision = decisions.record_decision(
            session=session, subject=subject, data=data, decider=decider
        )
        week.date_decision(session, decision, subject_key)
    return Loaded(len(people), len(asks), len(found), len(items), len(_DECISIONS))


def _id(row: Stakeholder | Need | RoadmapItem) -> int:
    assert row.id is not None
    return row.id


def _in(days: int) -> date:
    return (utcnow() + timedelta(days=days)).date()


_PEOPLE: dict[str, dict[str, Any]] = {
    "dana": {
        "name": "Dana Whitfield",
        "group": StakeholderGroup.sales,
        "weight": 2.0,
        "email": f"dana.whitfield@{DOMAIN}",
        "organization": "Enterprise sales",
    },
    "raj": {
        "name": "Raj Patel",
        "group": StakeholderGroup.sales,
        "email": f"raj.patel@{DOMAIN}",
        "organization": "Mid-market sales",
    },
    "maria": {
        "name": "Maria Lopez",
        "group": StakeholderGroup.support,
        "weight": 1.5,
        "email": f"maria.lopez@{DOMAIN}",
        "organization": "Customer support",
    },
    "tom": {
        "name": "Tom Becker",
        "group": StakeholderGroup.support,
        "email": f"tom.becker@{DOMAIN}",
        "organization": "Customer support",
    },
    "aiko": {
        "name": "Aiko Tanaka",
        "group": StakeholderGroup.finance,
        "email": f"aiko.tanaka@{DOMAIN}",
        "organization": "FP&A",
    },
    "lena": {
        "name": "Lena Fischer",
        "group": StakeholderGroup.marketing,
        "email": f"lena.fischer@{DOMAIN}",
        "organization": "Product marketing",
    },
    "sam": {
        "name": "Sam Okafor",
        "group": StakeholderGroup.executive,
        "weight": 3.0,
        "email": f"sam.okafor@{DOMAIN}",
        "organization": "CEO office",
    },
    "acme": {
        "name": "Priya Shah (Acme Corp)",
        "group": StakeholderGroup.customer,
        "email": f"priya.shah@acme.{DOMAIN}",
        "organization": "Acme Corp",
    },
}

_ROADMAP: dict[str, dict[str, Any]] = {
    "sso": {
        "title": "SAML single sign-on (Okta, Azure AD)",
        "status": RoadmapStatus.in_progress,
        "horizon": Horizon.now,
        "target_date": _in(45),
        "theme": "Enterprise readiness",
        "description": "SAML 2.0 SSO with just-in-time provisioning; SCIM follows.",
        "public_title": "Sign in with your company account",
        "public_description": "Single sign-on with Okta or Azure AD: your team signs in "
        "with the accounts it already has.",
        "visibility": Visibility.portal,
    },
    "exports": {
        "title": "Self-serve scheduled exports",
        "status": RoadmapStatus.planned,
        "horizon": Horizon.next,
        "target_date": _in(100),
        "theme": "Data access",
        "description": "CSV and Parquet exports on a schedule, to S3 or e-mail.",
        "public_title": "Scheduled exports",
        "public_description": "Your data as CSV or Parquet on a schedule, to S3 or by e-mail.",
        "visibility": Visibility.portal,
    },
    "public_roadmap": {
        "title": "Public roadmap page",
        "status": RoadmapStatus.proposed,
        "horizon": Horizon.later,
        "theme": "Transparency",
    },
}

_NEEDS: dict[str, dict[str, Any]] = {
    "sso": {
        "statement": "Enterprise customers must sign in with their identity provider",
        "theme": "Enterprise readiness",
        "description": "Security reviews block deals without SSO; IT wants one off-switch.",
    },
    "data": {
        "statement": "Customers need their data outside the product, regularly",
        "theme": "Data access",
        "description": "Support exports by hand every week; customers feed BI tools.",
    },
    "revenue": {
        "statement": "Finance needs revenue attributed to each product line",
        "theme": "Reporting",
    },
    "dates": {
        "statement": "Go-to-market teams need dates they can plan campaigns around",
        "theme": "Transparency",
    },
    "audit": {
        "statement": "Admins must see who changed what, for their auditors",
        "theme": "Enterprise readiness",
    },
}

# key: (stakeholder, need or None (untriaged), fields of POST /requests)
_REQUESTS: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "acme_sso": (
        "dana",
        "sso",
        {
            "title": "SSO with Okta for Acme before renewal",
            "description": "Acme will not sign the 3-year renewal without SAML SSO via Okta. "
            "Their security review closes at quarter end.",
            "channel": Channel.sales_call,
            "customer": "Acme Corp",
            "revenue_at_stake": Decimal("240000"),
            "urgency": Urgency.critical,
            "source_system": "crm",
            "external_id": "OPP-4411",
        },
    ),
    "globex_sso": (
        "raj",
        "sso",
        {
            "title": "Azure AD login for Globex pilot",
            "description": "Globex IT only allows Azure AD apps; pilot of 80 seats waits on it.",
            "channel": Channel.email,
            "customer": "Globex",
            "revenue_at_stake": Decimal("38000"),
            "urgency": Urgency.high,
        },
    ),
    "acme_direct": (
        "acme",
        "sso",
        {
            "title": "Please support our IdP",
            "description": "Our employees have one login for everything. Can yours join it?",
            "channel": Channel.support_ticket,
            "customer": "Acme Corp",
            "urgency": Urgency.high,
            "source_system": "helpdesk",
            "external_id": "T-88213",
        },
    ),
    "weekly_export": (
        "maria",
        "data",
        {
            "title": "Weekly CSV export for Initech",
            "description": "Third ticket this month: Initech wants every request as CSV each "
            "Monday. We do it by hand (40 minutes each time).",
            "channel": Channel.support_ticket,
            "customer": "Initech",
            "urgency": Urgency.medium,
            "source_system": "helpdesk",
            "external_id": "T-88402",
        },
    ),
    "bi_feed": (
        "tom",
        "data",
        {
            "title": "Data feed into Looker",
            "description": "Umbrella's analysts want our data next to their CRM data in Looker.",
            "channel": Channel.chat,
            "customer": "Umbrella",
            "revenue_at_stake": Decimal("12000"),
            "urgency": Urgency.medium,
        },
    ),
    "export_api": (
        "tom",
        "data",
        {
            "title": "API to bulk download tickets",
            "description": "Scripted exports keep hitting rate limits on the list endpoints.",
            "channel": Channel.support_ticket,
            "customer": "Hooli",
            "urgency": Urgency.low,
        },
    ),
    "revenue_by_product": (
        "aiko",
        "revenue",
        {
            "title": "Revenue per product line in the board pack",
            "description": "Board asks which product line the expansion revenue comes from; today "
            "we split it by hand in a spreadsheet.",
            "channel": Channel.meeting,
            "urgency": Urgency.high,
        },
    ),
    "launch_dates": (
        "lena",
        "dates",
        {
            "title": "Dates for the spring launch campaign",
            "description": "Need committed dates for SSO and exports to book the launch webinar.",
            "channel": Channel.meeting,
            "urgency": Urgency.medium,
        },
    ),
    "public_page": (
        "sam",
        "dates",
        {
            "title": "A public roadmap page, like our competitors have",
            "description": "Prospects keep asking what is coming. Can we show it?",
            "channel": Channel.email,
            "urgency": Urgency.low,
        },
    ),
    "soc2_audit_log": (
        "dana",
        "audit",
        {
            "title": "Audit log export for Acme's SOC 2 review",
            "description": "Acme's auditors want every permission change of the last year.",
            "channel": Channel.rfp,
            "customer": "Acme Corp",
            "revenue_at_stake": Decimal("60000"),
            "urgency": Urgency.high,
        },
    ),
    "excel_export": (
        "maria",
        None,
        {
            "title": "Export to Excel with formatting kept",
            "description": "Customers open the CSV in Excel and lose the dates' format.",
            "channel": Channel.support_ticket,
            "customer": "Initech",
            "urgency": Urgency.low,
        },
    ),
    "usage_report": (
        "aiko",
        None,
        {
            "title": "Seats used per customer, monthly",
            "description": "For true-ups at renewal: who uses more seats than they pay for.",
            "channel": Channel.email,
            "urgency": Urgency.medium,
        },
    ),
    "dark_mode": (
        "raj",
        None,
        {
            "title": "Dark mode",
            "description": "Two prospects mentioned it in demos.",
            "channel": Channel.sales_call,
            "urgency": Urgency.low,
        },
    ),
}

# (need or request key, outcome, roadmap item or None, why, message to the stakeholder,
#  days until revisit or None)
_DECISIONS = [
    (
        "sso",
        Outcome.accepted,
        "sso",
        "Blocks $278k in open deals (Acme, Globex) and every enterprise security review. "
        "SAML first: it covers Okta and Azure AD; SCIM next quarter.",
        "SSO is being built now (Okta and Azure AD); target date on the roadmap item.",
        None,
    ),
    (
        "data",
        Outcome.accepted,
        "exports",
        "Support spends ~3 hours a week on hand exports; three customers asked in a month. "
        "Scheduled exports remove the toil and serve the BI use case.",
        "Scheduled exports are planned for next quarter; until then support keeps the "
        "weekly CSV going.",
        None,
    ),
    (
        "revenue",
        Outcome.deferred,
        None,
        "Needs product-line tagging in billing first (finance systems project, Q3). "
        "Revisit when billing can tag invoices.",
        "Not before billing tags invoices by product line; we will look again then.",
        90,
    ),
    (
        "dates",
        Outcome.needs_info,
        None,
        "Dates exist for SSO and exports (see their items). Unclear what else marketing needs: "
        "asked Lena which launches the campaign covers.",
        "Dates for SSO and exports are on their roadmap items; which other launches matter?",
        14,
    ),
    (
        "dark_mode",
        Outcome.declined,
        None,
        "Two mentions, no revenue at stake, and theming touches every screen. Not this year.",
        "Not planned this year; we will keep counting the asks.",
        None,
    ),
]
