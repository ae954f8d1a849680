"""responsibility: office-head fallback, handovers, refinancing split (O17-O19)

Revision ID: 5d0c6a1f0005
Revises: 5d0c6a1f0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

revision: str = "5d0c6a1f0005"
down_revision: str | None = "5d0c6a1f0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
