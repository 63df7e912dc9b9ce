"""ix_request_created_at: the requests list's created_after / created_before

Revision ID: 6f1c3a8e2d57
Revises: 4b7d2e9f1a36
Create Date: 2026-12-06 16:30:00

A range of creation times is read by its index rather than by walking the list's id
order (issue 22).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6f1c3a8e2d57"
down_revision: str | None = "4b7d2e9f1a36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_request_created_at", "request", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_request_created_at", table_name="request")
