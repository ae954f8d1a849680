"""W4's latest escalations, kept per node for the dashboards (issue 13).

`GET /v1/escalations` lists the newest escalations of a subtree's open warnings. Read off the
history, a sub-branch's page walked every newer escalation of the whole bank to find its own
(one in 200 at a provincial bank; ~30 ms of PostgreSQL a poll at 1M loans under load). The
feed holds each escalation of an open warning once per node at and above the warning's
(`shared.org.ancestors`: at most four), so a node's page is one range of the primary key
(node, history id) whatever the size of the book.

Kept exactly by the only writes that change it: the event applier's escalations (`add`, with
their history entries) and a warning's closing (`drop`, W10). `rebuild` recounts it from the
history, for a bulk load or a repair, and is what the kept feed must equal (tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings import store
from services.warnings.models import EarlyWarning, EscalationFeed, WarningHistory, is_open
from shared.org import ancestors

ESCALATED = "escalated"
CHUNK = 50_000  # escalations per insert of a rebuild


def feed_rows(escalations: Iterable[tuple[int, str, str]]) -> list[dict[str, Any]]:
    """(history id, warning id, warning's node) -> the feed's rows, one per node above."""
    return [
        {"node": node, "history_id": history_id, "warning_id": warning_id}
        for history_id, warning_id, org in escalations
        for node in ancestors(org)
    ]


async def insert_history(
    session: AsyncSession, rows: list[dict[str, Any]], org_of: Mapping[str, str]
) -> None:
    """Bulk insert of history entries; the escalations among them join the feed in the same
    transaction (`org_of`: the node of each escalated warning)."""
    if not any(r["action"] == ESCALATED for r in rows):
        await store.insert_rows(session, WarningHistory, rows)
        return
    table = WarningHistory.__table__
    written = await store.insert_rows(
        session, WarningHistory, rows, returning=(table.c.id, table.c.warning_id, table.c.action)
    )
    escalations = [(i, w, org_of[w]) for i, w, action in written if action == ESCALATED]
    await store.insert_rows(session, EscalationFeed, feed_rows(escalations))


async def drop(session: AsyncSession, warning_id: str) -> None:
    """W10: a closed warning's escalations leave the feed (it lists open warnings only)."""
    await session.execute(delete(EscalationFeed).where(EscalationFeed.warning_id == warning_id))


def recount_statement() -> Any:
    """Every escalation of an open warning with the warning's node: what the feed is made of."""
    return (
        select(WarningHistory.id, WarningHistory.warning_id, EarlyWarning.org)
        .join(EarlyWarning, EarlyWarning.id == WarningHistory.warning_id)
        .where(WarningHistory.action == ESCALATED, is_open())
    )


async def rebuild(session: AsyncSession) -> None:
    """The feed from scratch (a bulk load straight into the tables, a repair)."""
    await session.execute(delete(EscalationFeed))
    escalations = [(r[0], r[1], r[2]) for r in (await session.execute(recount_statement())).all()]
    for start in range(0, len(escalations), CHUNK):
        chunk = feed_rows(escalations[start : start + CHUNK])
        await store.insert_rows(session, EscalationFeed, chunk)
