"""merged_need: where each merged need went

Revision ID: 4b7d2e9f1a36
Revises: 8e2f4a6c9b13
Create Date: 2026-12-06 16:00:00

A merged need's id answers 410 with the need it went into, which lists it (issue 22).
Needs merged before this revision left no trail: their ids stay 404.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b7d2e9f1a36"
down_revision: str | None = "8e2f4a6c9b13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merged_need",
        sa.Column("need_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("merged_into", sa.BigInteger(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into"],
            ["need.id"],
            name=op.f("fk_merged_need_merged_into_need"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("need_id", name=op.f("pk_merged_need")),
    )
    op.create_index(
        op.f("ix_merged_need_merged_into"), "merged_need", ["merged_into"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_merged_need_merged_into"), table_name="merged_need")
    op.drop_table("merged_need")
