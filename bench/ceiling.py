"""The ceiling: a bare FastAPI route answering a request-sized JSON body, no database."""

from typing import Any

from fastapi import FastAPI

app = FastAPI()

BODY: dict[str, Any] = {
    "id": 4711,
    "title": "Request 4711: export sso okta saml",
    "description": "Acme will not sign the renewal without SAML login for all staff.",
    "stakeholder_id": 12,
    "channel": "sales_call",
    "source_system": None,
    "external_id": None,
    "customer": "Customer 42",
    "revenue_at_stake": 120000.0,
    "urgency": "high",
    "need_id": 7,
    "status": "decided",
    "first_answered_at": "2026-11-20T10:00:00Z",
    "decision": None,
    "created_by": 1,
    "created_at": "2026-11-20T09:00:00Z",
    "updated_at": "2026-11-20T09:00:00Z",
    "version": 1,
}


@app.get("/ceiling")
async def ceiling() -> dict[str, Any]:
    return BODY
