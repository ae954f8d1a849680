"""ratings, idempotency keys, outbox events; who created a model version

Revision ID: 3b7e2c9a0002
Revises: 3b7e2c9a0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3b7e2c9a0002"
down_revision: str | None = "3b7e2c9a0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("scoring_model") as batch:
        batch.add_column(sa.Column("created_by", sa.String(length=128), nullable=True))
    op.create_table(
        "rating",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("org", sa.String(length=140), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("inputs", JSON_DOC, nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("grade", sa.String(length=64), nullable=False),
        sa.Column("grade_by_max_membership", sa.String(length=64), nullable=False),
        sa.Column("risk_level", sa.String(length=64), nullable=False),
        sa.Column("vetoed", sa.Boolean(), nullable=True),
        sa.Column("membership", JSON_DOC, nullable=False),
        sa.Column("rated_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["scoring_model.id"], name=op.f("fk_rating_model_id_scoring_model")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating")),
    )
    with op.batch_alter_table("rating") as batch:
        batch.create_index(
            "ix_rating_enterprise_history", ["enterprise_id", "created_at", "id"], unique=False
        )
        batch.create_index("ix_rating_org_history", ["org", "created_at", "id"], unique=False)
        batch.create_index(batch.f("ix_rating_model_id"), ["model_id"], unique=False)
    op.create_table(
        "idempotency_key",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", JSON_DOC, nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_key")),
    )
    op.create_table(
        "outbox_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    with op.batch_alter_table("outbox_event") as batch:
        batch.create_index(batch.f("ix_outbox_event_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_event") as batch:
        batch.drop_index(batch.f("ix_outbox_event_sent_at"))
    op.drop_table("outbox_event")
    op.drop_table("idempotency_key")
    with op.batch_alter_table("rating") as batch:
        batch.drop_index(batch.f("ix_rating_model_id"))
        batch.drop_index("ix_rating_org_history")
        batch.drop_index("ix_rating_enterprise_history")
    op.drop_table("rating")
    with op.batch_alter_table("scoring_model") as batch:
        batch.drop_column("created_by")
