"""exit, post-exit pay, vintage buy-out and escrow (O24-O25, O27-O29, O32, O35)

Revision ID: 5d0c6a1f0007
Revises: 5d0c6a1f0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

revision: str = "5d0c6a1f0007"
down_revision: str | None = "5d0c6a1f0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
