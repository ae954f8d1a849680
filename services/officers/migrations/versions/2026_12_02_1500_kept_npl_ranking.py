"""kept county ranking (issue 13): officers' O22 responsible NPL balances on a kept date,
each ledger loan's contribution and next verdict change, the state row and revision shards;
backfilled from the existing ledger

Revision ID: 5d0c6a1f0009
Revises: 5d0c6a1f0008
Create Date: 2026-12-02
"""

import os
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "5d0c6a1f0009"
down_revision: str | None = "5d0c6a1f0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARDS = 8


def upgrade() -> None:
    with op.batch_alter_table("ledger_loan") as batch:
        batch.add_column(sa.Column("npl_officer", sa.String(64), nullable=True))
        batch.add_column(sa.Column("npl_fen", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("npl_next_change", sa.Date(), nullable=True))
        batch.create_index("ix_ledger_loan_npl_next_change", ["npl_next_change"])
    op.create_table(
        "officer_npl",
        sa.Column("officer_id", sa.String(64), nullable=False),
        sa.Column("npl_fen", sa.BigInteger(), nullable=False),
        sa.Column("loans", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("officer_id", name="pk_officer_npl"),
    )
    state = op.create_table(
        "npl_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("npl_overdue_days", sa.Integer(), nullable=False),
        sa.Column("disposal_grace_days", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_npl_state"),
    )
    shards = op.create_table(
        "npl_revision",
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name="pk_npl_revision"),
    )
    # Not built (on_date NULL) until the backfill below, or the service's start-up, counts it.
    op.bulk_insert(
        state,
        [
            {
                "id": 1,
                "on_date": None,
                "npl_overdue_days": 365,
                "disposal_grace_days": 365,
                "generation": 0,
            }
        ],
    )
    op.bulk_insert(shards, [{"shard": s, "revision": 0} for s in range(SHARDS)])
    _backfill()


def _backfill() -> None:
    """Count the existing ledger on today (the bank's zone) under that year's liability
    policy. An empty ledger needs nothing (and runs no service code)."""
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT 1 FROM ledger_loan LIMIT 1")).first() is None:
        return
    from services.officers.liability import ranking_state
    from services.officers.liability.policy import LiabilityPolicy

    zone = os.environ.get("OFFICERS_TIME_ZONE", "Asia/Shanghai")
    today = datetime.now(ZoneInfo(zone)).date()
    body = conn.execute(
        sa.text(
            "SELECT body FROM policy WHERE company = 'HO' AND kind = 'liability' AND year = :y "
            "ORDER BY version DESC LIMIT 1"
        ),
        {"y": today.year},
    ).scalar()
    if isinstance(body, str):
        import json

        body = json.loads(body)
    policy = LiabilityPolicy.from_dict(body or {})
    ranking_state.rebuild_on(conn, today, ranking_state.params_of(policy))


def downgrade() -> None:
    op.drop_table("npl_revision")
    op.drop_table("npl_state")
    op.drop_table("officer_npl")
    with op.batch_alter_table("ledger_loan") as batch:
        batch.drop_index("ix_ledger_loan_npl_next_change")
        batch.drop_column("npl_next_change")
        batch.drop_column("npl_fen")
        batch.drop_column("npl_officer")
