"""Issue 13: drop the indexes of `early_warning.level` and `early_warning.updated_at`, which
no read uses: an escalation changes only those and the revision, so without them PostgreSQL
updates the row in place (HOT) instead of adding an entry to each of the table's indexes;
on PostgreSQL its pages keep a tenth free (fillfactor 90) for those in-place versions.

Revision ID: d2b8e6f4a713
Revises: c7f3a1d9e482
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "d2b8e6f4a713"
down_revision: str | Sequence[str] | None = "c7f3a1d9e482"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("level", "updated_at")


def upgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_early_warning_{column}", table_name="early_warning")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE early_warning SET (fillfactor = 90)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE early_warning RESET (fillfactor)")
    for column in COLUMNS:
        op.create_index(f"ix_early_warning_{column}", "early_warning", [column])
