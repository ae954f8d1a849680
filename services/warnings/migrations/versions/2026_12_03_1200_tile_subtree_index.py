"""Issue 13: the kept tiles are read by subtree on every poll (validators, the summary): an
index of their subtree key makes a sub-branch's eight rows one index range instead of a scan
of every node's (`models.SubtreeKey`).

Revision ID: b41d7e9a2c55
Revises: 7e2a4b9c1f03
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b41d7e9a2c55"
down_revision: str | Sequence[str] | None = "7e2a4b9c1f03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    c = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""
    op.create_index("ix_warning_tile_subtree", "warning_tile", [sa.text(f"((org || '/'){c})")])


def downgrade() -> None:
    op.drop_index("ix_warning_tile_subtree", table_name="warning_tile")
