"""exit, post-exit pay, vintage buy-out and escrow (O24-O25, O27-O29, O32, O35)

The escrow account (O35) is one more account of `fund_movement` (no new table). O32's stored
buy-outs get `vintage_buyout`: one row per loan bought out or compensated, with who pays and
who the recoveries belong to.

Revision ID: 5d0c6a1f0007
Revises: 5d0c6a1f0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d0c6a1f0007"
down_revision: str | None = "5d0c6a1f0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vintage_buyout",
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("vintage", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("payer", sa.String(length=24), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("rate", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("recoveries_to", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=400), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["officer_id", "operation_id"],
            ["fund_operation.officer_id", "fund_operation.operation_id"],
            name=op.f("fk_vintage_buyout_officer_id_fund_operation"),
        ),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_vintage_buyout")),
    )
    with op.batch_alter_table("vintage_buyout") as batch_op:
        batch_op.create_index(batch_op.f("ix_vintage_buyout_officer_id"), ["officer_id"])


def downgrade() -> None:
    with op.batch_alter_table("vintage_buyout") as batch_op:
        batch_op.drop_index(batch_op.f("ix_vintage_buyout_officer_id"))
    op.drop_table("vintage_buyout")
