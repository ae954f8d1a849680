"""issue 13: an index backing the paged order of the credentials listing

Revision ID: 6a1f0c3d2200
Revises: 6a1f0c3d2100
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6a1f0c3d2200"
down_revision: str | None = "6a1f0c3d2100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_credential_created_page", "credential", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_credential_created_page", table_name="credential")
