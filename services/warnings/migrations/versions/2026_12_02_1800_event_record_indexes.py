"""Issue 14: the event record keeps only its primary key (no query reads it by loan,
borrower or org; each index cost every applied event an insert into it).

Revision ID: 6b3e0d7a5c21
Revises: 9a4f1c2e7b10
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "6b3e0d7a5c21"
down_revision: str | Sequence[str] | None = "9a4f1c2e7b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("borrower_id", "loan_id", "org")


def upgrade() -> None:
    with op.batch_alter_table("event_record") as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_event_record_{column}")


def downgrade() -> None:
    with op.batch_alter_table("event_record") as batch_op:
        for column in COLUMNS:
            batch_op.create_index(f"ix_event_record_{column}", [column])
