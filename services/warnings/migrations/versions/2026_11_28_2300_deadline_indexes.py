"""deadline indexes: the dashboard counts reports due soon by range (W13)

Revision ID: 5d2b8e41c0a7
Revises: 7c1e0f3a9b21
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d2b8e41c0a7"
down_revision: str | Sequence[str] | None = "7c1e0f3a9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("early_warning", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_early_warning_branch_deadline"), ["branch_deadline"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_early_warning_head_office_deadline"),
            ["head_office_deadline"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("early_warning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_warning_head_office_deadline"))
        batch_op.drop_index(batch_op.f("ix_early_warning_branch_deadline"))
