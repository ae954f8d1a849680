"""loan ledger: loans from the loan and repayment events, responsibility history, parked and
processed events of the `officers` consumer group (O17, O22)

Revision ID: 5d0c6a1f0004
Revises: 5d0c6a1f0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d0c6a1f0004"
down_revision: str | None = "5d0c6a1f0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "ledger_loan",
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=140), nullable=False),
        sa.Column("borrower_id", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("five_class", sa.String(length=16), nullable=False),
        sa.Column("collateral", sa.String(length=16), nullable=False),
        sa.Column("collateral_kind", sa.String(length=64), nullable=True),
        sa.Column("loan_date", sa.Date(), nullable=False),
        sa.Column("maturity_date", sa.Date(), nullable=False),
        sa.Column("overdue_since", sa.Date(), nullable=True),
        sa.Column("interest_arrears_since", sa.Date(), nullable=True),
        sa.Column("in_disposal", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("first_responsible", sa.String(length=64), nullable=True),
        sa.Column("management_responsible", sa.String(length=64), nullable=True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_ledger_loan")),
    )
    with op.batch_alter_table("ledger_loan") as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_loan_first_responsible"), ["first_responsible"])
        batch_op.create_index(
            batch_op.f("ix_ledger_loan_management_responsible"), ["management_responsible"]
        )
        batch_op.create_index(batch_op.f("ix_ledger_loan_org_id"), ["org_id"])
    op.create_table(
        "ledger_parked_event",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        _ts("parked_at"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_parked_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_ledger_parked_event_event_id")),
    )
    with op.batch_alter_table("ledger_parked_event") as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_parked_event_loan_id"), ["loan_id"])
    op.create_table(
        "processed_event",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        _ts("processed_at"),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_event")),
    )
    op.create_table(
        "loan_responsibility",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("accepted_by", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        _ts("recorded_at"),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["ledger_loan.loan_id"],
            name=op.f("fk_loan_responsibility_loan_id_ledger_loan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_responsibility")),
    )
    with op.batch_alter_table("loan_responsibility") as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_responsibility_loan_id"), ["loan_id"])
        batch_op.create_index(batch_op.f("ix_loan_responsibility_officer_id"), ["officer_id"])


def downgrade() -> None:
    with op.batch_alter_table("loan_responsibility") as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_responsibility_officer_id"))
        batch_op.drop_index(batch_op.f("ix_loan_responsibility_loan_id"))
    op.drop_table("loan_responsibility")
    op.drop_table("processed_event")
    with op.batch_alter_table("ledger_parked_event") as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_parked_event_loan_id"))
    op.drop_table("ledger_parked_event")
    with op.batch_alter_table("ledger_loan") as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_loan_org_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_loan_management_responsible"))
        batch_op.drop_index(batch_op.f("ix_ledger_loan_first_responsible"))
    op.drop_table("ledger_loan")
