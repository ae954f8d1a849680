"""issue 13: an index backing the paged order of a subtree's rating history

Revision ID: 3b7e2c9a0003
Revises: 3b7e2c9a0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3b7e2c9a0003"
down_revision: str | None = "3b7e2c9a0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_rating_created_page", "rating", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_rating_created_page", table_name="rating")
