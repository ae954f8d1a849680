"""borrower links, limitation interruptions, lending restrictions, collection plans (O20, O21, O23)

Revision ID: 5d0c6a1f0006
Revises: 5d0c6a1f0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d0c6a1f0006"
down_revision: str | None = "5d0c6a1f0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _money(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(precision=18, scale=2), nullable=False)


def upgrade() -> None:
    op.create_table(
        "borrower",
        sa.Column("borrower_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=140), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=True),
        sa.Column("sued", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("sued_on", sa.Date(), nullable=True),
        sa.Column("interest_on_hold", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("interest_on_hold_since", sa.Date(), nullable=True),
        sa.Column("employee_id", sa.String(length=64), nullable=True),
        sa.Column("relative_of", sa.String(length=64), nullable=True),
        sa.Column("relation", sa.String(length=32), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("borrower_id", name=op.f("pk_borrower")),
    )
    with op.batch_alter_table("borrower") as batch_op:
        batch_op.create_index(batch_op.f("ix_borrower_household_id"), ["household_id"])
        batch_op.create_index(batch_op.f("ix_borrower_org_id"), ["org_id"])
    op.create_table(
        "loan_terms",
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("family_guarantee", sa.String(length=16), nullable=False),
        sa.Column("proof_ref", sa.String(length=200), nullable=True),
        sa.Column("rate", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("standard_rate", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["ledger_loan.loan_id"], name=op.f("fk_loan_terms_loan_id_ledger_loan")
        ),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_loan_terms")),
    )
    op.create_table(
        "loan_restriction_flag",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        _ts("recorded_at"),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["ledger_loan.loan_id"],
            name=op.f("fk_loan_restriction_flag_loan_id_ledger_loan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_restriction_flag")),
        sa.UniqueConstraint("loan_id", "code", name=op.f("uq_loan_restriction_flag_loan_id")),
    )
    with op.batch_alter_table("loan_restriction_flag") as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_restriction_flag_loan_id"), ["loan_id"])
    op.create_table(
        "collection_duty",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county", sa.String(length=100), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=140), nullable=False),
        _money("npl_balance"),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("collection_duty", sa.Boolean(), nullable=False),
        sa.Column("yellow_card", sa.Boolean(), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("run_by", sa.String(length=100), nullable=False),
        _ts("run_at"),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_collection_duty_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_duty")),
        sa.UniqueConstraint("year", "officer_id", name=op.f("uq_collection_duty_year")),
    )
    with op.batch_alter_table("collection_duty") as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_duty_county"), ["county"])
        batch_op.create_index(batch_op.f("ix_collection_duty_officer_id"), ["officer_id"])
        batch_op.create_index(batch_op.f("ix_collection_duty_year"), ["year"])
    op.create_table(
        "collection_plan",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        _money("q1_target"),
        _money("q2_target"),
        _money("q3_target"),
        _money("q4_target"),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("signed_by", sa.String(length=100), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_collection_plan_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_plan")),
        sa.UniqueConstraint("officer_id", "year", name=op.f("uq_collection_plan_officer_id")),
    )
    with op.batch_alter_table("collection_plan") as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_plan_officer_id"), ["officer_id"])
    op.create_table(
        "collection_quarter",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("quarter", sa.SmallInteger(), nullable=False),
        _money("collected"),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        _ts("recorded_at"),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["collection_plan.id"],
            name=op.f("fk_collection_quarter_plan_id_collection_plan"),
        ),
        sa.PrimaryKeyConstraint("plan_id", "quarter", name=op.f("pk_collection_quarter")),
    )


def downgrade() -> None:
    op.drop_table("collection_quarter")
    with op.batch_alter_table("collection_plan") as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_plan_officer_id"))
    op.drop_table("collection_plan")
    with op.batch_alter_table("collection_duty") as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_duty_year"))
        batch_op.drop_index(batch_op.f("ix_collection_duty_officer_id"))
        batch_op.drop_index(batch_op.f("ix_collection_duty_county"))
    op.drop_table("collection_duty")
    with op.batch_alter_table("loan_restriction_flag") as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_restriction_flag_loan_id"))
    op.drop_table("loan_restriction_flag")
    op.drop_table("loan_terms")
    with op.batch_alter_table("borrower") as batch_op:
        batch_op.drop_index(batch_op.f("ix_borrower_org_id"))
        batch_op.drop_index(batch_op.f("ix_borrower_household_id"))
    op.drop_table("borrower")
