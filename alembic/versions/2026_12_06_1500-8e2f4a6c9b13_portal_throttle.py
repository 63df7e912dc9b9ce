"""portal_throttle: the rate limits of the portal's request form

Revision ID: 8e2f4a6c9b13
Revises: 3d9a7c1e5b42
Create Date: 2026-12-06 15:00:00

Uses of a stakeholder portal's request form in the current hour, per stakeholder and per
client address, shared by every server process (issue 21).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e2f4a6c9b13"
down_revision: str | None = "3d9a7c1e5b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_portal_throttle")),
    )
    op.create_index(
        op.f("ix_portal_throttle_expires_at"), "portal_throttle", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_throttle_expires_at"), table_name="portal_throttle")
    op.drop_table("portal_throttle")
