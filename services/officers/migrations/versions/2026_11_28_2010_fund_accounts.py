"""fund accounts: operations and movements of the risk fund and post deposit (O30-O31)

Revision ID: 5d0c6a1f0003
Revises: 5d0c6a1f0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d0c6a1f0003"
down_revision: str | None = "5d0c6a1f0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "fund_operation",
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("request", JSON, nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_fund_operation_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("officer_id", "operation_id", name=op.f("pk_fund_operation")),
    )
    op.create_table(
        "fund_movement",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=100), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["officer_id", "operation_id"],
            ["fund_operation.officer_id", "fund_operation.operation_id"],
            name=op.f("fk_fund_movement_officer_id_fund_operation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_movement")),
    )
    with op.batch_alter_table("fund_movement") as batch_op:
        batch_op.create_index(batch_op.f("ix_fund_movement_loan_id"), ["loan_id"])
        batch_op.create_index(batch_op.f("ix_fund_movement_officer_id"), ["officer_id"])


def downgrade() -> None:
    with op.batch_alter_table("fund_movement") as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_movement_officer_id"))
        batch_op.drop_index(batch_op.f("ix_fund_movement_loan_id"))
    op.drop_table("fund_movement")
    op.drop_table("fund_operation")
