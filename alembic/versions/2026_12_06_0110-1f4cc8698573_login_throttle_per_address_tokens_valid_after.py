"""login throttle per (e-mail, client address); user tokens_valid_after

Revision ID: 1f4cc8698573
Revises: e3f9a0c5d7b1
Create Date: 2026-12-06 01:10:00

Login attempts are counted per (e-mail, client address) and per address (e-mail ""),
each row kept until expires_at (indexed: expired rows are pruned in batches). The table
holds only counters that expire within minutes: it is rebuilt empty, not converted.
A user's tokens issued at or before tokens_valid_after are refused.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1f4cc8698573"
down_revision: str | None = "e3f9a0c5d7b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", "client_address", name=op.f("pk_login_throttle")),
    )
    op.create_index("ix_login_throttle_expires_at", "login_throttle", ["expires_at"])
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tokens_valid_after", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # Not a batch rebuild: on SQLite it would lose the table's AUTOINCREMENT (see
    # c6a1d9f3b2e8); SQLite 3.35+ drops a column itself, as PostgreSQL does.
    op.execute("ALTER TABLE user_account DROP COLUMN tokens_valid_after")
    op.drop_index("ix_login_throttle_expires_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_login_throttle")),
    )
