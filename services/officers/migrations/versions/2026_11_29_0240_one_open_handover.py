"""one open handover per officer (O18), enforced by a partial unique index

Revision ID: 5d0c6a1f0008
Revises: 5d0c6a1f0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d0c6a1f0008"
down_revision: str | None = "5d0c6a1f0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status = 'open'"


def upgrade() -> None:
    op.create_index(
        "uq_handover_open_officer",
        "handover",
        ["officer_id"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_handover_open_officer", table_name="handover")
