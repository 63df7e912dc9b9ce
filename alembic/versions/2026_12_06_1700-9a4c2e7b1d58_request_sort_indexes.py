"""Indexes for the requests list's sort orders

Revision ID: 9a4c2e7b1d58
Revises: 6f1c3a8e2d57
Create Date: 2026-12-06 17:00:00

Each order (`sort`) is a keyset of a value and the id, read from an index on both:
creation time, revenue (none below any amount) and urgency by rank (issue 22). The
creation-time index gains the id, which breaks ties in that order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4c2e7b1d58"
down_revision: str | None = "6f1c3a8e2d57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the model states them: a query finds an expression index by its exact expression.
REVENUE_ORDER = "coalesce(revenue_at_stake, -1)"
URGENCY_ORDER = (
    "(CASE urgency WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 "
    "WHEN 'critical' THEN 4 END)"
)


def upgrade() -> None:
    op.drop_index("ix_request_created_at", table_name="request")
    op.create_index("ix_request_created_at", "request", ["created_at", "id"])
    op.create_index("ix_request_revenue_order", "request", [sa.text(REVENUE_ORDER), "id"])
    op.create_index("ix_request_urgency_order", "request", [sa.text(URGENCY_ORDER), "id"])


def downgrade() -> None:
    op.drop_index("ix_request_urgency_order", table_name="request")
    op.drop_index("ix_request_revenue_order", table_name="request")
    op.drop_index("ix_request_created_at", table_name="request")
    op.create_index("ix_request_created_at", "request", ["created_at"])
