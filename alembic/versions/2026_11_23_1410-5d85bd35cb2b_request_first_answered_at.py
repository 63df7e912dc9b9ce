"""request first answered at

Revision ID: 5d85bd35cb2b
Revises: 0fed5dd94fc5
Create Date: 2026-11-23 14:10:56.320844
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d85bd35cb2b"
down_revision: str | None = "0fed5dd94fc5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_answered_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Best reconstruction for existing rows: the first own decision, else the need's first
    # decision, never earlier than the request itself.
    op.execute(
        "UPDATE request SET first_answered_at = "
        "(SELECT min(d.decided_at) FROM decision d WHERE d.request_id = request.id)"
    )
    op.execute(
        "UPDATE request SET first_answered_at = "
        "(SELECT min(d.decided_at) FROM decision d WHERE d.need_id = request.need_id) "
        "WHERE first_answered_at IS NULL AND need_id IS NOT NULL"
    )
    op.execute(
        "UPDATE request SET first_answered_at = created_at WHERE first_answered_at < created_at"
    )
    op.create_index("ix_decision_duplicate_of_request_id", "decision", ["duplicate_of_request_id"])
    op.create_index("ix_decision_decided_by", "decision", ["decided_by"])


def downgrade() -> None:
    op.drop_index("ix_decision_decided_by", table_name="decision")
    op.drop_index("ix_decision_duplicate_of_request_id", table_name="decision")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_column("first_answered_at")
