"""roadmap item: public_title, public_description, visibility

Revision ID: 0225a25a597c
Revises: 1f4cc8698573
Create Date: 2026-12-06 04:00:00

What stakeholders may see of a roadmap item on their portal. Existing items stay
internal: the column's server default, 'internal' as the model's, fills it. (Added
columns need no rebuild of the table on SQLite, which would lose its AUTOINCREMENT.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0225a25a597c"
down_revision: str | None = "1f4cc8698573"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roadmap_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_title", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("public_description", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("visibility", sa.String(length=16), nullable=False, server_default="internal")
        )
        batch_op.create_index("ix_roadmap_item_visibility", ["visibility"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("roadmap_item", schema=None) as batch_op:
        batch_op.drop_index("ix_roadmap_item_visibility")
        batch_op.drop_column("visibility")
        batch_op.drop_column("public_description")
        batch_op.drop_column("public_title")
