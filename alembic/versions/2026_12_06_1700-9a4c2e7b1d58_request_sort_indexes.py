"""Indexes for the requests list's sort orders

Revision ID: 9a4c2e7b1d58
Revises: 6f1c3a8e2d57
Create Date: 2026-12-06 17:00:00

The orders by revenue (none below any amount) and by urgency (its rank) are keysets of
that value and the id, each read from an index on both (issue 22). Newest and oldest
first go by id, as the list always did.
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
    op.create_index("ix_request_revenue_order", "request", [sa.text(REVENUE_ORDER), "id"])
    op.create_index("ix_request_urgency_order", "request", [sa.text(URGENCY_ORDER), "id"])


def downgrade() -> None:
    op.drop_index("ix_request_urgency_order", table_name="request")
    op.drop_index("ix_request_revenue_order", table_name="request")
