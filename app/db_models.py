"""Every table, imported once so SQLModel.metadata is complete (Alembic, tests)."""

from app.audit.models import AuditEntry
from app.auth.models import LoginThrottle, ServiceToken, User
from app.decisions.models import Decision
from app.events.models import Event
from app.idempotency.models import IdempotencyKey
from app.needs.models import MergedNeed, Need
from app.notices.models import Notice, NoticeItem
from app.portal.models import PortalThrottle
from app.requests.models import Request
from app.roadmap.models import RoadmapItem
from app.stakeholders.models import Stakeholder
from app.webhooks.models import Webhook, WebhookAttempt, WebhookCursor, WebhookDelivery

__all__ = [
    "AuditEntry",
    "Decision",
    "Event",
    "IdempotencyKey",
    "LoginThrottle",
    "MergedNeed",
    "Need",
    "Notice",
    "NoticeItem",
    "PortalThrottle",
    "Request",
    "RoadmapItem",
    "ServiceToken",
    "Stakeholder",
    "User",
    "Webhook",
    "WebhookAttempt",
    "WebhookCursor",
    "WebhookDelivery",
]
