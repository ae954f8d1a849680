"""warnings lifecycle

Revision ID: 11bd73a62fe5
Revises: 089a22913927
Create Date: 2026-11-28 19:10:26.332819

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "11bd73a62fe5"
down_revision: str | Sequence[str] | None = "089a22913927"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "check_task",
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("maturity_date", sa.Date(), nullable=False),
        sa.Column("org", sa.String(length=140), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("loan_id", "maturity_date", name=op.f("pk_check_task")),
    )
    with op.batch_alter_table("check_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_task_org"), ["org"], unique=False)

    op.create_table(
        "early_warning",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=True),
        sa.Column("borrower_id", sa.String(length=64), nullable=True),
        sa.Column("org", sa.String(length=140), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_event_id", sa.String(length=128), nullable=True),
        sa.Column("source_warning_id", sa.String(length=32), nullable=True),
        sa.Column("discovered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("head_office_required", sa.Boolean(), nullable=False),
        sa.Column("branch_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("head_office_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("branch_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("head_office_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("branch_overdue", sa.Boolean(), nullable=False),
        sa.Column("head_office_overdue", sa.Boolean(), nullable=False),
        sa.Column("updates_missing", sa.Boolean(), nullable=False),
        sa.Column("team", JSON_DOC, nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_warning")),
    )
    with op.batch_alter_table("early_warning", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_early_warning_borrower_id"), ["borrower_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_early_warning_level"), ["level"], unique=False)
        batch_op.create_index(batch_op.f("ix_early_warning_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_early_warning_org"), ["org"], unique=False)
        batch_op.create_index(batch_op.f("ix_early_warning_raised_at"), ["raised_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_early_warning_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_early_warning_updated_at"), ["updated_at"], unique=False
        )
        batch_op.create_index(
            "uq_early_warning_open_subject",
            ["kind", "subject"],
            unique=True,
            postgresql_where=sa.text("state NOT IN ('resolved', 'written_off')"),
            sqlite_where=sa.text("state NOT IN ('resolved', 'written_off')"),
        )

    op.create_table(
        "group_member",
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("borrower_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "borrower_id", name=op.f("pk_group_member")),
    )
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_member_borrower_id"), ["borrower_id"], unique=False
        )

    op.create_table(
        "loan",
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("borrower_id", sa.String(length=64), nullable=False),
        sa.Column("org", sa.String(length=140), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("maturity_date", sa.Date(), nullable=False),
        sa.Column("five_class", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disbursed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_loan")),
    )
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_borrower_id"), ["borrower_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_maturity_date"), ["maturity_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_org"), ["org"], unique=False)

    op.create_table(
        "notice",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
    )
    op.create_table(
        "parked_event",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON_DOC, nullable=False),
        sa.Column(
            "parked_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_parked_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_parked_event_event_id")),
    )
    with op.batch_alter_table("parked_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parked_event_subject"), ["subject"], unique=False)

    op.create_table(
        "policy",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_policy")),
    )
    op.create_table(
        "notice_recipient",
        sa.Column("notice_id", sa.String(length=32), nullable=False),
        sa.Column("branch", sa.String(length=140), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_recipient_notice_id_notice")
        ),
        sa.PrimaryKeyConstraint("notice_id", "branch", name=op.f("pk_notice_recipient")),
    )
    op.create_table(
        "warning_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("warning_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("detail", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["early_warning.id"],
            name=op.f("fk_warning_history_warning_id_early_warning"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_history")),
    )
    with op.batch_alter_table("warning_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_warning_history_warning_id"), ["warning_id"], unique=False
        )

    op.create_table(
        "warning_report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("warning_id", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.String(length=128), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("content", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["early_warning.id"],
            name=op.f("fk_warning_report_warning_id_early_warning"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_report")),
    )
    with op.batch_alter_table("warning_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_warning_report_warning_id"), ["warning_id"], unique=False
        )

    op.create_table(
        "warning_update",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("warning_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["early_warning.id"],
            name=op.f("fk_warning_update_warning_id_early_warning"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_update")),
    )
    with op.batch_alter_table("warning_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_warning_update_warning_id"), ["warning_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("warning_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_update_warning_id"))

    op.drop_table("warning_update")
    with op.batch_alter_table("warning_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_report_warning_id"))

    op.drop_table("warning_report")
    with op.batch_alter_table("warning_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_history_warning_id"))

    op.drop_table("warning_history")
    op.drop_table("notice_recipient")
    op.drop_table("policy")
    with op.batch_alter_table("parked_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parked_event_subject"))

    op.drop_table("parked_event")
    op.drop_table("notice")
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_org"))
        batch_op.drop_index(batch_op.f("ix_loan_maturity_date"))
        batch_op.drop_index(batch_op.f("ix_loan_borrower_id"))

    op.drop_table("loan")
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_member_borrower_id"))

    op.drop_table("group_member")
    with op.batch_alter_table("early_warning", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_early_warning_open_subject",
            postgresql_where=sa.text("state NOT IN ('resolved', 'written_off')"),
            sqlite_where=sa.text("state NOT IN ('resolved', 'written_off')"),
        )
        batch_op.drop_index(batch_op.f("ix_early_warning_updated_at"))
        batch_op.drop_index(batch_op.f("ix_early_warning_state"))
        batch_op.drop_index(batch_op.f("ix_early_warning_raised_at"))
        batch_op.drop_index(batch_op.f("ix_early_warning_org"))
        batch_op.drop_index(batch_op.f("ix_early_warning_loan_id"))
        batch_op.drop_index(batch_op.f("ix_early_warning_level"))
        batch_op.drop_index(batch_op.f("ix_early_warning_borrower_id"))

    op.drop_table("early_warning")
    with op.batch_alter_table("check_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_task_org"))

    op.drop_table("check_task")
