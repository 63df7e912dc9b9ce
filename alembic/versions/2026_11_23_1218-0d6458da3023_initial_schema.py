"""initial schema

Revision ID: 0d6458da3023
Revises:
Create Date: 2026-11-23 12:18:35.685252
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0d6458da3023"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "need",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("statement", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("theme", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_theme"), ["theme"], unique=False)

    op.create_table(
        "roadmap_item",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("horizon", sa.String(length=8), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("theme", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_item")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("roadmap_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roadmap_item_horizon"), ["horizon"], unique=False)
        batch_op.create_index(batch_op.f("ix_roadmap_item_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_roadmap_item_theme"), ["theme"], unique=False)

    op.create_table(
        "stakeholder",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("group", sa.String(length=32), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stakeholder")),
        sa.UniqueConstraint("email", name=op.f("uq_stakeholder_email")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("stakeholder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stakeholder_group"), ["group"], unique=False)

    op.create_table(
        "request",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("stakeholder_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=True),
        sa.Column("revenue_at_stake", sa.BigInteger(), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("need_id", sa.BigInteger(), nullable=True),
        sa.Column("source_system", sa.String(length=100), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_request_need_id_need"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholder.id"],
            name=op.f("fk_request_stakeholder_id_stakeholder"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request")),
        sa.UniqueConstraint(
            "source_system", "external_id", name=op.f("uq_request_source_system_external_id")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_customer"), ["customer"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_need_id"), ["need_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_request_stakeholder_id"), ["stakeholder_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_request_urgency"), ["urgency"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_urgency"))
        batch_op.drop_index(batch_op.f("ix_request_stakeholder_id"))
        batch_op.drop_index(batch_op.f("ix_request_need_id"))
        batch_op.drop_index(batch_op.f("ix_request_customer"))
        batch_op.drop_index(batch_op.f("ix_request_channel"))

    op.drop_table("request")
    with op.batch_alter_table("stakeholder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stakeholder_group"))

    op.drop_table("stakeholder")
    with op.batch_alter_table("roadmap_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_item_theme"))
        batch_op.drop_index(batch_op.f("ix_roadmap_item_status"))
        batch_op.drop_index(batch_op.f("ix_roadmap_item_horizon"))

    op.drop_table("roadmap_item")
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_theme"))

    op.drop_table("need")
