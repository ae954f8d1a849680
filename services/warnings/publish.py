"""Warning changes as events on `warning-events` (W16), for officers, scoring and others."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings.models import EarlyWarning
from services.warnings.store import WarningRow
from shared.events import WarningChanged, WarningChangedBody
from shared.outbox import Outbox

# A warning as the HTTP routes hold it (ORM) or as the event applier does (plain row).
AnyWarning = EarlyWarning | WarningRow
CHANGES = ("warning.raised", "warning.escalated", "warning.reported", "warning.resolved")


def warning_event(warning: AnyWarning, change: str, at: datetime) -> WarningChanged:
    """One change of a warning; its id names the warning and its revision, so a redelivery
    of the same change has the same id (consumers dedupe on it)."""
    return WarningChanged(
        event_id=f"{warning.id}.{warning.revision}",
        type=change,
        occurred_at=at,
        loan_id=warning.loan_id,
        borrower_id=warning.borrower_id,
        org=warning.org,
        body=WarningChangedBody(
            warning_id=warning.id,
            kind=warning.kind,
            level=warning.level,
            state=warning.state,
            detail=warning.detail[:2000],
        ),
    )


async def publish(
    outbox: Outbox | None,
    session: AsyncSession,
    changes: Sequence[tuple[AnyWarning, str]],
    at: datetime,
) -> None:
    """Put the changes in the outbox, in the caller's transaction (nothing when unwanted)."""
    if outbox is None or not outbox.wanted or not changes:
        return
    # One event per warning: a warning raised and escalated in one batch is announced once, as
    # raised at its final level.
    latest: dict[str, tuple[AnyWarning, str]] = {}
    for warning, change in changes:
        first = latest.get(warning.id, (warning, change))[1]
        latest[warning.id] = (warning, "warning.raised" if first == "warning.raised" else change)
    await outbox.add(session, [warning_event(w, c, at) for w, c in latest.values()])
