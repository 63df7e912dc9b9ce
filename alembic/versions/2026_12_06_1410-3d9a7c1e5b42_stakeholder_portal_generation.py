"""stakeholder.portal_generation: revoking a stakeholder's portal links

Revision ID: 3d9a7c1e5b42
Revises: 5c1e8f3b7a21
Create Date: 2026-12-06 14:10:00

A portal link carries the stakeholder's generation; revoking every link bumps it, in the
database, so every server process refuses the old links at once (issue 21).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3d9a7c1e5b42"
down_revision: str | None = "5c1e8f3b7a21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: batch mode would rebuild SQLite's table without its AUTOINCREMENT.
    op.add_column(
        "stakeholder",
        sa.Column("portal_generation", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table(
        "stakeholder", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("portal_generation")
