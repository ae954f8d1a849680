"""initial: organisation tree and officers

Revision ID: 5d0c6a1f0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "5d0c6a1f0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column[datetime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "org_node",
        sa.Column("id", sa.String(length=140), nullable=False),
        sa.Column("parent_id", sa.String(length=140), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("county", sa.String(length=100), nullable=True),
        sa.Column("sub_branch_class", sa.SmallInteger(), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_node.id"], name=op.f("fk_org_node_parent_id_org_node")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_node")),
    )
    with op.batch_alter_table("org_node") as batch_op:
        batch_op.create_index(batch_op.f("ix_org_node_parent_id"), ["parent_id"])
    op.create_table(
        "officer",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("org_id", sa.String(length=140), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("hire_date", sa.Date(), nullable=False),
        sa.Column("financial_work_start_date", sa.Date(), nullable=False),
        sa.Column("post", sa.String(length=32), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["org_id"], ["org_node.id"], name=op.f("fk_officer_org_id_org_node")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer")),
    )
    with op.batch_alter_table("officer") as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_org_id"), ["org_id"])


def downgrade() -> None:
    op.drop_table("officer")
    op.drop_table("org_node")
