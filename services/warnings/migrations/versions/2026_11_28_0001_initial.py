"""initial: event records and the processed-event table

Revision ID: 089a22913927
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "089a22913927"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "event_record",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=True),
        sa.Column("borrower_id", sa.String(length=64), nullable=True),
        sa.Column("org", sa.String(length=140), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("payload", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_record")),
    )
    with op.batch_alter_table("event_record") as batch_op:
        batch_op.create_index(batch_op.f("ix_event_record_borrower_id"), ["borrower_id"])
        batch_op.create_index(batch_op.f("ix_event_record_loan_id"), ["loan_id"])
        batch_op.create_index(batch_op.f("ix_event_record_org"), ["org"])
    op.create_table(
        "processed_event",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_event")),
    )


def downgrade() -> None:
    op.drop_table("processed_event")
    op.drop_table("event_record")
