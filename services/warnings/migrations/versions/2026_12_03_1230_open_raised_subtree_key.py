"""Issue 13: the open warnings' newest-first index ends with the subtree key, so a subtree's
first page of open warnings filters on index entries instead of visiting every warning of
the subtree or of the others (`models.SubtreeKey`; 1M loans, a sub-branch: 13 ms / 193
buffers -> 0.09 ms / 33).

Revision ID: c7f3a1d9e482
Revises: b41d7e9a2c55
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7f3a1d9e482"
down_revision: str | Sequence[str] | None = "b41d7e9a2c55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('raised', 'reported_to_branch', 'reported_to_head_office', 'under_mitigation')"


def _create(*, with_key: bool) -> None:
    columns = [sa.text("raised_at"), sa.text("id")]
    if with_key:
        c = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""
        columns.append(sa.text(f"((org || '/'){c})"))
    op.create_index(
        "ix_early_warning_open_raised",
        "early_warning",
        columns,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def upgrade() -> None:
    op.drop_index("ix_early_warning_open_raised", table_name="early_warning")
    _create(with_key=True)


def downgrade() -> None:
    op.drop_index("ix_early_warning_open_raised", table_name="early_warning")
    _create(with_key=False)
