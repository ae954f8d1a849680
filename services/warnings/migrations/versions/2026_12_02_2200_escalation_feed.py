"""Issue 13: W4's latest escalations kept per node (`escalation_feed`), filled from the
history of the open warnings.

Revision ID: 3c8e5f1a9d42
Revises: 6b3e0d7a5c21
Create Date: 2026-12-02 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c8e5f1a9d42"
down_revision: str | Sequence[str] | None = "6b3e0d7a5c21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('raised', 'reported_to_branch', 'reported_to_head_office', 'under_mitigation')"
CHUNK = 20_000


def upgrade() -> None:
    op.create_table(
        "escalation_feed",
        sa.Column("node", sa.String(length=140), nullable=False),
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("node", "history_id", name=op.f("pk_escalation_feed")),
    )
    op.create_index(
        op.f("ix_escalation_feed_warning_id"), "escalation_feed", ["warning_id"], unique=False
    )
    feed = sa.table(
        "escalation_feed",
        sa.column("node", sa.String),
        sa.column("history_id", sa.Integer),
        sa.column("warning_id", sa.String),
    )
    found = op.get_bind().execute(
        sa.text(
            "SELECT h.id, h.warning_id, w.org FROM warning_history h"
            " JOIN early_warning w ON w.id = h.warning_id"
            f" WHERE h.action = 'escalated' AND w.{OPEN}"
        )
    )
    rows = []
    for history_id, warning_id, org in found:
        parts = org.split("/")  # the node and every node above it (shared.org.ancestors)
        rows += [
            {"node": "/".join(parts[:n]), "history_id": history_id, "warning_id": warning_id}
            for n in range(len(parts), 0, -1)
        ]
    for start in range(0, len(rows), CHUNK):
        op.bulk_insert(feed, rows[start : start + CHUNK])


def downgrade() -> None:
    op.drop_index(op.f("ix_escalation_feed_warning_id"), table_name="escalation_feed")
    op.drop_table("escalation_feed")
