"""Issue 13: the warnings list of any state gets subtree indexes, and six indexes no read
uses are dropped.

`GET /v1/warnings` without the open filter went newest first off `raised_at` alone and
checked each row's node: at 1M loans a sub-branch's page of resolved warnings read 255,000
buffers (300 ms). Now `(raised_at, id, subtree key, state)` for head office and branches
(subtree and state checked on the entries) and `(unit key, raised_at, id, subtree key,
state)` so that a sub-branch's or an office's page is one range of its own entries, and
the closed warnings (the part of the book that only grows) by `(state, raised_at, id, subtree
key)`, so that a page of a rare state is one range too (it was a scan of the table).
`state`, `org`, `loan_id`, `raised_at`, `branch_deadline` and `head_office_deadline` had
indexes of their own that no statement needs any more (the sweeps and validators read the
pending-deadline indexes, the lists these): each was one more entry to write for every
warning raised.

Revision ID: f1a7c3e9d254
Revises: e5c9a3f1b826
Create Date: 2026-12-03 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1a7c3e9d254"
down_revision: str | Sequence[str] | None = "e5c9a3f1b826"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOSED = "state IN ('resolved', 'written_off')"
DROPPED = ("state", "org", "loan_id", "raised_at", "branch_deadline", "head_office_deadline")


def _unit_key(dialect: str) -> str:
    """`models.unit_key_sql("org", dialect)` as of this revision."""
    if dialect == "postgresql":
        return "(" + " || '/' || ".join(f"split_part(org, '/', {n})" for n in (1, 2, 3)) + ")"
    x = "(org || '/')"
    i1 = f"instr({x}, '/')"
    r1 = f"substr({x}, {i1} + 1)"
    i2 = f"instr({r1}, '/')"
    i3 = f"instr(substr({r1}, {i2} + 1), '/')"
    return f"substr({x}, 1, {i1} + {i2} + {i3} - 1)"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    c = ' COLLATE "C"' if dialect == "postgresql" else ""
    tail = [sa.text("raised_at"), sa.text("id"), sa.text(f"((org || '/'){c})"), sa.text("state")]
    op.create_index("ix_early_warning_raised", "early_warning", tail)
    op.create_index(
        "ix_early_warning_unit_raised", "early_warning", [sa.text(_unit_key(dialect)), *tail]
    )
    closed = sa.text(CLOSED)
    op.create_index(
        "ix_early_warning_closed",
        "early_warning",
        [sa.text("state"), *tail[:3]],
        postgresql_where=closed,
        sqlite_where=closed,
    )
    for column in DROPPED:
        op.drop_index(f"ix_early_warning_{column}", table_name="early_warning")


def downgrade() -> None:
    for column in DROPPED:
        op.create_index(f"ix_early_warning_{column}", "early_warning", [column])
    op.drop_index("ix_early_warning_closed", table_name="early_warning")
    op.drop_index("ix_early_warning_unit_raised", table_name="early_warning")
    op.drop_index("ix_early_warning_raised", table_name="early_warning")
