"""issue 13: an index backing the paged order of a year's collection duty

Revision ID: 5d0c6a1f0010
Revises: 5d0c6a1f0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d0c6a1f0010"
down_revision: str | None = "5d0c6a1f0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_collection_duty_year_page",
        "collection_duty",
        ["year", "county", "rank", "officer_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_collection_duty_year_page", table_name="collection_duty")
