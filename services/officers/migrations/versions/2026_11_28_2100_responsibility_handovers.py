"""responsibility: office-head fallback, handovers, refinancing split (O17-O19)

Revision ID: 5d0c6a1f0005
Revises: 5d0c6a1f0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d0c6a1f0005"
down_revision: str | None = "5d0c6a1f0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _money(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(precision=18, scale=2), nullable=False)


def _loan_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["loan_id"], ["ledger_loan.loan_id"], name=op.f(f"fk_{table}_loan_id_ledger_loan")
    )


def _index(table: str, *columns: str) -> None:
    with op.batch_alter_table(table) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column])


def _drop_index(table: str, *columns: str) -> None:
    with op.batch_alter_table(table) as batch_op:
        for column in columns:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))


def upgrade() -> None:
    op.create_table(
        "org_head",
        _str("org_id", 140),
        _str("officer_id", 64),
        sa.Column("since", sa.Date(), nullable=False),
        _str("set_by", 100),
        _ts("set_at"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["org_node.id"], name=op.f("fk_org_head_org_id_org_node")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_org_head_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_org_head")),
    )
    _index("org_head", "officer_id")
    op.create_table(
        "assignment_batch",
        _str("id", 64),
        _str("kind", 16),
        sa.Column("effective_on", sa.Date(), nullable=False),
        _str("reason", 300),
        sa.Column("body", JSON, nullable=False),
        _str("requested_by", 100),
        _ts("requested_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_batch")),
    )
    op.create_table(
        "handover",
        _str("id", 64),
        _str("officer_id", 64),
        _str("org_id", 140),
        _str("kind", 16),
        sa.Column("handover_on", sa.Date(), nullable=False),
        _str("reason", 300),
        _str("status", 16),
        _str("created_by", 100),
        _ts("created_at"),
        _str("completed_by", 100, nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_handover_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover")),
    )
    _index("handover", "officer_id", "org_id")
    op.create_table(
        "management_assignment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _str("loan_id", 64),
        _str("officer_id", 64),
        _str("kind", 16),
        _str("batch_id", 64, nullable=True),
        _str("handover_id", 64, nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        _str("reason", 300),
        _str("status", 16),
        sa.Column("applied", sa.Boolean(), server_default=sa.false(), nullable=False),
        _str("requested_by", 100),
        _ts("requested_at"),
        _str("accepted_by", 100, nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        _loan_fk("management_assignment"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["assignment_batch.id"],
            name=op.f("fk_management_assignment_batch_id_assignment_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["handover_id"],
            ["handover.id"],
            name=op.f("fk_management_assignment_handover_id_handover"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_assignment")),
    )
    _index("management_assignment", "batch_id", "handover_id", "loan_id", "officer_id")
    op.create_table(
        "handover_item",
        _str("handover_id", 64),
        _str("loan_id", 64),
        _money("balance"),
        _str("five_class", 16),
        sa.Column("npl", sa.Boolean(), nullable=False),
        _str("npl_reason", 300),
        _str("last_event_id", 64, nullable=True),
        _str("last_event_kind", 24, nullable=True),
        sa.Column("last_event_date", sa.Date(), nullable=True),
        _str("accountant_name", 100, nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        _str("confirmed_by", 100, nullable=True),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["handover_id"], ["handover.id"], name=op.f("fk_handover_item_handover_id_handover")
        ),
        _loan_fk("handover_item"),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["management_assignment.id"],
            name=op.f("fk_handover_item_assignment_id_management_assignment"),
        ),
        sa.PrimaryKeyConstraint("handover_id", "loan_id", name=op.f("pk_handover_item")),
    )
    op.create_table(
        "limitation_event",
        _str("id", 64),
        _str("loan_id", 64),
        _str("kind", 24),
        sa.Column("on_date", sa.Date(), nullable=False),
        _str("evidence", 500),
        _str("served_by", 100, nullable=True),
        _str("recorded_by", 100),
        _ts("recorded_at"),
        _loan_fk("limitation_event"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limitation_event")),
    )
    _index("limitation_event", "loan_id")
    op.create_table(
        "refinance",
        _str("id", 64),
        _str("loan_id", 64),
        _str("case", 40),
        _money("old_principal"),
        _money("old_interest"),
        _money("new_amount"),
        _str("original_officer_id", 64, nullable=True),
        _str("handling_officer_id", 64),
        _str("approval_ref", 100),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        _str("recorded_by", 100),
        _ts("recorded_at"),
        _loan_fk("refinance"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refinance")),
        sa.UniqueConstraint("loan_id", name=op.f("uq_refinance_loan_id")),
    )
    op.create_table(
        "loan_part",
        _str("loan_id", 64),
        _str("part", 8),
        _money("amount"),
        _str("first_responsible", 64, nullable=True),
        _loan_fk("loan_part"),
        sa.PrimaryKeyConstraint("loan_id", "part", name=op.f("pk_loan_part")),
    )
    _index("loan_part", "first_responsible")
    op.create_table(
        "first_responsible_waiver",
        _str("loan_id", 64),
        _str("officer_id", 64, nullable=True),
        _str("departure", 16),
        _str("restructuring_ref", 100),
        _str("approval_ref", 100),
        sa.Column("approved_on", sa.Date(), nullable=False),
        _str("approved_by", 100),
        _ts("recorded_at"),
        _loan_fk("first_responsible_waiver"),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_first_responsible_waiver")),
    )


def downgrade() -> None:
    op.drop_table("first_responsible_waiver")
    _drop_index("loan_part", "first_responsible")
    op.drop_table("loan_part")
    op.drop_table("refinance")
    _drop_index("limitation_event", "loan_id")
    op.drop_table("limitation_event")
    op.drop_table("handover_item")
    _drop_index("management_assignment", "batch_id", "handover_id", "loan_id", "officer_id")
    op.drop_table("management_assignment")
    _drop_index("handover", "officer_id", "org_id")
    op.drop_table("handover")
    op.drop_table("assignment_batch")
    _drop_index("org_head", "officer_id")
    op.drop_table("org_head")
