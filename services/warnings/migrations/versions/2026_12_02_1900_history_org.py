"""Issue 13: a history entry carries its warning's node (a warning's org never changes), and
escalations are indexed by node then id, so the dashboard's latest escalations of a subtree
are read node by node (a few index entries each) instead of walking every escalation of the
bank to find the subtree's (GET /v1/escalations at 1M loans under load: ~0.5 s a call).

Revision ID: 8d1f4b2a6e30
Revises: 6b3e0d7a5c21
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d1f4b2a6e30"
down_revision: str | Sequence[str] | None = "6b3e0d7a5c21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ESCALATED = "action = 'escalated'"


def upgrade() -> None:
    op.add_column("warning_history", sa.Column("org", sa.String(140), nullable=True))
    op.execute(
        "UPDATE warning_history SET org = (SELECT w.org FROM early_warning w"
        " WHERE w.id = warning_history.warning_id)"
    )
    with op.batch_alter_table("warning_history") as batch_op:
        batch_op.alter_column("org", existing_type=sa.String(140), nullable=False)
        batch_op.drop_index("ix_warning_history_escalated")
        batch_op.create_index(
            "ix_warning_history_escalated",
            ["org", "id"],
            postgresql_where=sa.text(ESCALATED),
            sqlite_where=sa.text(ESCALATED),
        )


def downgrade() -> None:
    with op.batch_alter_table("warning_history") as batch_op:
        batch_op.drop_index("ix_warning_history_escalated")
        batch_op.create_index(
            "ix_warning_history_escalated",
            ["id"],
            postgresql_where=sa.text(ESCALATED),
            sqlite_where=sa.text(ESCALATED),
        )
        batch_op.drop_column("org")
