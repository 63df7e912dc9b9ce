"""notices and their items; notify on stakeholders and decisions

Revision ID: 7b3e9d2a4c10
Revises: 0225a25a597c
Create Date: 2026-12-06 07:07:14

What stakeholders are told of decisions (issue 20). Existing stakeholders and decisions
get notify = true from the columns' server default, as the models' own default. The
columns are added by plain ALTER TABLE: a batch operation rebuilt the tables on SQLite
and lost their AUTOINCREMENT.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b3e9d2a4c10"
down_revision: str | None = "0225a25a597c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("stakeholder_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("attempts_allowed", sa.Integer(), nullable=False),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholder.id"],
            name=op.f("fk_notice_stakeholder_id_stakeholder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index("ix_notice_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notice_stakeholder_id"), ["stakeholder_id"], unique=False
        )

    op.create_table(
        "notice_item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("notice_id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("roadmap_item_id", sa.BigInteger(), nullable=True),
        sa.Column("roadmap_item_status", sa.String(length=16), nullable=True),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("stakeholder_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decision.id"],
            name=op.f("fk_notice_item_decision_id_decision"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
            name=op.f("fk_notice_item_notice_id_notice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
            name=op.f("fk_notice_item_request_id_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_item")),
        sa.UniqueConstraint(
            "notice_id", "request_id", name=op.f("uq_notice_item_notice_id_request_id")
        ),
    )
    with op.batch_alter_table("notice_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_item_request_id"), ["request_id"], unique=False)

    op.add_column(
        "decision", sa.Column("notify", sa.Boolean(), server_default=sa.true(), nullable=False)
    )

    op.add_column(
        "stakeholder", sa.Column("notify", sa.Boolean(), server_default=sa.true(), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("stakeholder", schema=None) as batch_op:
        batch_op.drop_column("notify")

    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_column("notify")

    with op.batch_alter_table("notice_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_item_request_id"))

    op.drop_table("notice_item")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_stakeholder_id"))
        batch_op.drop_index("ix_notice_due")

    op.drop_table("notice")
