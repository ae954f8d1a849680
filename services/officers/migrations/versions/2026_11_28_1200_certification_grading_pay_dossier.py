"""certification, appointment, grading runs, pay sheets, dossier, monthly ranking (O1-O16, O36)

Revision ID: 5d0c6a1f0002
Revises: 5d0c6a1f0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d0c6a1f0002"
down_revision: str | None = "5d0c6a1f0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, *, default: bool = False) -> sa.Column[datetime]:
    if default:
        return sa.Column(
            name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        )
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _people() -> None:
    with op.batch_alter_table("officer") as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="candidate", nullable=False)
        )
        batch_op.add_column(
            sa.Column("good_standing", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("first_appointment_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("pre_appointment_coefficient", sa.Numeric(6, 2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("pre_appointment_performance_pay", sa.Numeric(18, 2), nullable=True)
        )
    op.create_table(
        "officer_post_period",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=140), nullable=False),
        sa.Column("post", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        _ts("recorded_at", default=True),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_officer_post_period_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_post_period")),
    )
    with op.batch_alter_table("officer_post_period") as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_post_period_officer_id"), ["officer_id"])


def _certification() -> None:
    op.create_table(
        "exam",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("qualification_year", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        _ts("created_at", default=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam")),
        sa.UniqueConstraint("qualification_year", name=op.f("uq_exam_qualification_year")),
    )
    with op.batch_alter_table("exam") as batch_op:
        batch_op.create_index(batch_op.f("ix_exam_year"), ["year"])
    op.create_table(
        "exam_result",
        sa.Column("exam_id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Numeric(6, 2), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        _ts("recorded_at", default=True),
        sa.ForeignKeyConstraint(["exam_id"], ["exam.id"], name=op.f("fk_exam_result_exam_id_exam")),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_exam_result_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("exam_id", "officer_id", name=op.f("pk_exam_result")),
    )
    with op.batch_alter_table("exam_result") as batch_op:
        batch_op.create_index(batch_op.f("ix_exam_result_officer_id"), ["officer_id"])
    op.create_table(
        "certificate",
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("exam_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_reason", sa.String(length=300), nullable=True),
        sa.Column("withdrawn_by_run", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["exam_id"], ["exam.id"], name=op.f("fk_certificate_exam_id_exam")),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_certificate_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_certificate")),
    )
    with op.batch_alter_table("certificate") as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_officer_id"), ["officer_id"])


def _appointment() -> None:
    op.create_table(
        "appointment",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=140), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("pre_appointment_coefficient", sa.Numeric(6, 2), nullable=False),
        sa.Column("pre_appointment_performance_pay", sa.Numeric(18, 2), nullable=False),
        _ts("created_at", default=True),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_appointment_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    with op.batch_alter_table("appointment") as batch_op:
        batch_op.create_index(batch_op.f("ix_appointment_officer_id"), ["officer_id"])
    op.create_table(
        "appointment_step",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appointment_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("by_subject", sa.String(length=100), nullable=False),
        sa.Column("by_role", sa.String(length=24), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        _ts("at"),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_appointment_step_appointment_id_appointment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_step")),
    )
    with op.batch_alter_table("appointment_step") as batch_op:
        batch_op.create_index(batch_op.f("ix_appointment_step_appointment_id"), ["appointment_id"])
    op.create_table(
        "qualification_review",
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("by_subject", sa.String(length=100), nullable=False),
        _ts("at"),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_qualification_review_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("officer_id", "year", name=op.f("pk_qualification_review")),
    )
    op.create_table(
        "collection_assignment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        _ts("created_at", default=True),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_collection_assignment_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_assignment")),
    )
    with op.batch_alter_table("collection_assignment") as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_assignment_officer_id"), ["officer_id"])
        batch_op.create_index(batch_op.f("ix_collection_assignment_run_id"), ["run_id"])


def _policy_and_figures() -> None:
    op.create_table(
        "policy",
        sa.Column("company", sa.String(length=140), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        _ts("created_at", default=True),
        sa.PrimaryKeyConstraint("company", "kind", "year", "version", name=op.f("pk_policy")),
    )
    op.create_table(
        "year_figures",
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("loans_issued", sa.Integer(), nullable=False),
        sa.Column("interest_income", sa.Numeric(18, 2), nullable=False),
        sa.Column("new_npl_balance", sa.Numeric(18, 2), nullable=False),
        sa.Column("managed_balance", sa.Numeric(18, 2), nullable=False),
        sa.Column("failed_exams", sa.Integer(), nullable=True),
        sa.Column("fines", sa.Integer(), nullable=True),
        sa.Column("criticisms", sa.Integer(), nullable=True),
        sa.Column("serious_violations", sa.Integer(), nullable=True),
        sa.Column("performance_pay", sa.Numeric(18, 2), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_year_figures_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("officer_id", "year", name=op.f("pk_year_figures")),
    )
    with op.batch_alter_table("year_figures") as batch_op:
        batch_op.create_index(batch_op.f("ix_year_figures_year"), ["year"])


def _runs() -> None:
    op.create_table(
        "grading_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=140), nullable=False),
        sa.Column("county", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("compute_state", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("policy", JSON, nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("peers", JSON, nullable=False),
        sa.Column("skipped", JSON, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("idempotency_key", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        _ts("created_at"),
        _ts("progress_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_run")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_grading_run_idempotency_key")),
    )
    with op.batch_alter_table("grading_run") as batch_op:
        batch_op.create_index(batch_op.f("ix_grading_run_year"), ["year"])
    op.create_table(
        "grading_run_step",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("by_subject", sa.String(length=100), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        _ts("at"),
        sa.Column("idempotency_key", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["grading_run.id"], name=op.f("fk_grading_run_step_run_id_grading_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_run_step")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_grading_run_step_idempotency_key")),
    )
    with op.batch_alter_table("grading_run_step") as batch_op:
        batch_op.create_index(batch_op.f("ix_grading_run_step_run_id"), ["run_id"])
    money = [
        sa.Column(name, sa.Numeric(18, 2), nullable=False)
        for name in ("interest_income", "new_npl_balance", "managed_balance")
    ]
    counts = [
        sa.Column(name, sa.Integer(), nullable=False)
        for name in ("failed_exams", "fines", "criticisms", "serious_violations")
    ]
    op.create_table(
        "grading_result",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=140), nullable=False),
        sa.Column("post", sa.String(length=32), nullable=False),
        sa.Column("county", sa.String(length=100), nullable=False),
        sa.Column("branch_class", sa.SmallInteger(), nullable=False),
        sa.Column("loans_issued", sa.Integer(), nullable=False),
        *money,
        *counts,
        sa.Column("count_sources", sa.String(length=4), nullable=False),
        sa.Column("performance_pay", sa.Numeric(18, 2), nullable=True),
        sa.Column("score", sa.Numeric(10, 2), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=True),
        sa.Column("salary_coefficient", sa.Numeric(6, 2), nullable=True),
        sa.Column("caps", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["grading_run.id"], name=op.f("fk_grading_result_run_id_grading_run")
        ),
        sa.PrimaryKeyConstraint("run_id", "officer_id", name=op.f("pk_grading_result")),
    )


def _pay_and_grades() -> None:
    op.create_table(
        "officer_grade",
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(10, 2), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=True),
        sa.Column("salary_coefficient", sa.Numeric(6, 2), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["grading_run.id"], name=op.f("fk_officer_grade_run_id_grading_run")
        ),
        sa.PrimaryKeyConstraint("officer_id", "year", name=op.f("pk_officer_grade")),
    )
    with op.batch_alter_table("officer_grade") as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_grade_run_id"), ["run_id"])
    op.create_table(
        "pay_sheet_line",
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=140), nullable=False),
        sa.Column("post", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Numeric(10, 2), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=True),
        sa.Column("grade_coefficient", sa.Numeric(6, 2), nullable=True),
        sa.Column("salary_coefficient", sa.Numeric(6, 2), nullable=True),
        sa.Column("performance_pay_recorded", sa.Numeric(18, 2), nullable=True),
        sa.Column("performance_pay", sa.Numeric(18, 2), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("protection_end", sa.Date(), nullable=True),
        sa.Column("leaves_post", sa.Boolean(), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["grading_run.id"], name=op.f("fk_pay_sheet_line_run_id_grading_run")
        ),
        sa.PrimaryKeyConstraint("officer_id", "year", name=op.f("pk_pay_sheet_line")),
    )
    with op.batch_alter_table("pay_sheet_line") as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_sheet_line_run_id"), ["run_id"])
        batch_op.create_index(batch_op.f("ix_pay_sheet_line_org_id"), ["org_id"])


def _dossier_and_ranking() -> None:
    op.create_table(
        "dossier_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_key", sa.String(length=160), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subtype", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        _ts("recorded_at"),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_dossier_entry_officer_id_officer")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["dossier_entry.id"],
            name=op.f("fk_dossier_entry_supersedes_id_dossier_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_entry")),
        sa.UniqueConstraint("entry_key", name=op.f("uq_dossier_entry_entry_key")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_dossier_entry_supersedes_id")),
    )
    with op.batch_alter_table("dossier_entry") as batch_op:
        batch_op.create_index("ix_dossier_entry_officer_kind", ["officer_id", "kind"])
    op.create_table(
        "monthly_score",
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.Numeric(12, 4), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        _ts("recorded_at"),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officer.id"], name=op.f("fk_monthly_score_officer_id_officer")
        ),
        sa.PrimaryKeyConstraint("officer_id", "year", "month", name=op.f("pk_monthly_score")),
    )
    with op.batch_alter_table("monthly_score") as batch_op:
        batch_op.create_index("ix_monthly_score_year_month", ["year", "month"])


def upgrade() -> None:
    _people()
    _certification()
    _appointment()
    _policy_and_figures()
    _runs()
    _pay_and_grades()
    _dossier_and_ranking()


def downgrade() -> None:
    for table in (
        "monthly_score",
        "dossier_entry",
        "pay_sheet_line",
        "officer_grade",
        "grading_result",
        "grading_run_step",
        "grading_run",
        "year_figures",
        "policy",
        "collection_assignment",
        "qualification_review",
        "appointment_step",
        "appointment",
        "certificate",
        "exam_result",
        "exam",
        "officer_post_period",
    ):
        op.drop_table(table)
    with op.batch_alter_table("officer") as batch_op:
        for column in (
            "pre_appointment_performance_pay",
            "pre_appointment_coefficient",
            "first_appointment_date",
            "good_standing",
            "status",
        ):
            batch_op.drop_column(column)
