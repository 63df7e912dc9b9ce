"""decisions

Revision ID: 0fed5dd94fc5
Revises: fa7199f091a8
Create Date: 2026-11-23 13:37:28.484079
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0fed5dd94fc5"
down_revision: str | None = "fa7199f091a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.Column("need_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("roadmap_item_id", sa.BigInteger(), nullable=True),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("stakeholder_message", sa.Text(), nullable=True),
        sa.Column("duplicate_of_request_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revisit_at", sa.Date(), nullable=True),
        sa.Column("supersedes_id", sa.BigInteger(), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(request_id IS NULL) != (need_id IS NULL)",
            name=op.f("ck_decision_exactly_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user_account.id"],
            name=op.f("fk_decision_decided_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_request_id"],
            ["request.id"],
            name=op.f("fk_decision_duplicate_of_request_id_request"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_decision_need_id_need"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
            name=op.f("fk_decision_request_id_request"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["roadmap_item_id"],
            ["roadmap_item.id"],
            name=op.f("fk_decision_roadmap_item_id_roadmap_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["decision.id"],
            name=op.f("fk_decision_supersedes_id_decision"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_decided_at"), ["decided_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_outcome"), ["outcome"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_request_id"), ["request_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_decision_roadmap_item_id"), ["roadmap_item_id"], unique=False
        )
        batch_op.create_index(
            "uq_decision_current_need",
            ["need_id"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.create_index(
            "uq_decision_current_request",
            ["request_id"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    with op.batch_alter_table("roadmap_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("promise_changed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("roadmap_item", schema=None) as batch_op:
        batch_op.drop_column("promise_changed_at")

    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_decision_current_request",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.drop_index(
            "uq_decision_current_need",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.drop_index(batch_op.f("ix_decision_roadmap_item_id"))
        batch_op.drop_index(batch_op.f("ix_decision_request_id"))
        batch_op.drop_index(batch_op.f("ix_decision_outcome"))
        batch_op.drop_index(batch_op.f("ix_decision_need_id"))
        batch_op.drop_index(batch_op.f("ix_decision_decided_at"))

    op.drop_table("decision")
