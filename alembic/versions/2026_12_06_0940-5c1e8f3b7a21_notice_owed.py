"""notice_owed: requests whose stakeholder's notice must be brought in line

Revision ID: 5c1e8f3b7a21
Revises: 7b3e9d2a4c10
Create Date: 2026-12-06 09:40:00

The outbox between a change and its notices (issue 20): the change's transaction writes
one row per request it may have changed the answer of; the sender gathers them into
notices. Gathering in the change's own transaction made a decision twice as slow.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e8f3b7a21"
down_revision: str | None = "7b3e9d2a4c10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_owed",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("owed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
            name=op.f("fk_notice_owed_request_id_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_owed")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("notice_owed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_owed_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_owed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_owed_request_id"))
    op.drop_table("notice_owed")
