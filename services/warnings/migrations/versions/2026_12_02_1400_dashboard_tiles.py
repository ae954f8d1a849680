"""dashboard tiles kept by the writes; read-path indexes for polled pages (issue 13)

Revision ID: 9a4f1c2e7b10
Revises: 5d2b8e41c0a7
Create Date: 2026-12-02

The kept counts start at the tiles' clock 1970-01-01 (no deadline lies before it, so only
the sweep's overdue marks count as overdue and nothing is due soon); the service moves the
clock to now when it starts (`tiles_store.align`) and the sweep keeps it recent.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "9a4f1c2e7b10"
down_revision: str | Sequence[str] | None = "5d2b8e41c0a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('raised', 'reported_to_branch', 'reported_to_head_office', 'under_mitigation')"
COUNTS = (
    "open",
    "yellow",
    "orange",
    "red",
    "raised",
    "reported_to_branch",
    "reported_to_head_office",
    "under_mitigation",
    "overdue",
    "due_soon",
    "updates_missing",
)


def upgrade() -> None:
    op.create_table(
        "warning_tile",
        sa.Column("org", sa.String(length=140), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=140), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org", "shard", name=op.f("pk_warning_tile")),
    )
    op.create_table(
        "warning_tile_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("soon_s", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_tile_clock")),
    )
    clock = sa.table(
        "warning_tile_clock",
        sa.column("id", sa.Integer),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("soon_s", sa.Integer),
        sa.column("generation", sa.Integer),
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    if op.get_bind().dialect.name == "sqlite":
        epoch = epoch.replace(tzinfo=None)  # as UtcDateTime stores it there
    op.bulk_insert(clock, [{"id": 1, "at": epoch, "soon_s": 24 * 3600, "generation": 1}])
    flag = "CASE WHEN {} THEN 1 ELSE 0 END"
    level = "CASE WHEN level = '{0}' THEN 1 ELSE 0 END"
    state = "CASE WHEN state = '{0}' THEN 1 ELSE 0 END"
    sums = [
        "count(*)",
        *(f"sum({level.format(v)})" for v in ("yellow", "orange", "red")),
        *(
            f"sum({state.format(v)})"
            for v in ("raised", "reported_to_branch", "reported_to_head_office", "under_mitigation")
        ),
        f"sum({flag.format('branch_overdue OR head_office_overdue')})",
        "0",
        f"sum({flag.format('updates_missing')})",
    ]
    rows = op.get_bind().execute(
        sa.text(f"SELECT org, {', '.join(sums)} FROM early_warning WHERE {OPEN} GROUP BY org")
    )
    tiles = [
        {"org": r[0], "shard": 0, "branch": "/".join(r[0].split("/")[:2]), "revision": 1}
        | dict(zip(COUNTS, (int(n or 0) for n in r[1:]), strict=True))
        for r in rows
    ]
    if tiles:
        table = sa.table(
            "warning_tile",
            *(sa.column(c) for c in ("org", "shard", "branch", *COUNTS, "revision")),
        )
        op.bulk_insert(table, tiles)
    # Polled pages, soonest / newest first, read straight off an index (issue 13).
    for step in ("branch", "head_office"):
        op.create_index(
            f"ix_early_warning_pending_{step}",
            "early_warning",
            [f"{step}_deadline", "id"],
            postgresql_where=sa.text(f"{step}_reported_at IS NULL AND {OPEN}"),
            sqlite_where=sa.text(f"{step}_reported_at IS NULL AND {OPEN}"),
        )
    op.create_index(
        "ix_early_warning_open_raised",
        "early_warning",
        ["raised_at", "id"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_warning_history_escalated",
        "warning_history",
        ["id"],
        postgresql_where=sa.text("action = 'escalated'"),
        sqlite_where=sa.text("action = 'escalated'"),
    )


def downgrade() -> None:
    op.drop_index("ix_warning_history_escalated", table_name="warning_history")
    op.drop_index("ix_early_warning_open_raised", table_name="early_warning")
    for step in ("branch", "head_office"):
        op.drop_index(f"ix_early_warning_pending_{step}", table_name="early_warning")
    op.drop_table("warning_tile_clock")
    op.drop_table("warning_tile")
