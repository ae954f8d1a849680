"""Issue 13: the pending-deadline indexes end with the subtree key, so a subtree's deadlines
page filters on index entries instead of visiting every other subtree's rows
(`models.SubtreeKey`).

Revision ID: 7e2a4b9c1f03
Revises: 3c8e5f1a9d42
Create Date: 2026-12-02 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e2a4b9c1f03"
down_revision: str | Sequence[str] | None = "3c8e5f1a9d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('raised', 'reported_to_branch', 'reported_to_head_office', 'under_mitigation')"
STEPS = ("branch", "head_office")


def _create(step: str, *, with_key: bool) -> None:
    columns = [sa.text(f"{step}_deadline"), sa.text("id")]
    if with_key:
        c = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""
        columns.append(sa.text(f"((org || '/'){c})"))
    op.create_index(
        f"ix_early_warning_pending_{step}",
        "early_warning",
        columns,
        postgresql_where=sa.text(f"{step}_reported_at IS NULL AND {OPEN}"),
        sqlite_where=sa.text(f"{step}_reported_at IS NULL AND {OPEN}"),
    )


def upgrade() -> None:
    for step in STEPS:
        op.drop_index(f"ix_early_warning_pending_{step}", table_name="early_warning")
        _create(step, with_key=True)


def downgrade() -> None:
    for step in STEPS:
        op.drop_index(f"ix_early_warning_pending_{step}", table_name="early_warning")
        _create(step, with_key=False)
