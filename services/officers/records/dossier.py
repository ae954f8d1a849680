"""The officer's dossier (spec officers.md O16; seed piece 5, Art. 16-17): append-only.

Entries are never updated or deleted. A correction is a new entry that supersedes an older one;
both stay, and the listing marks the older one as superseded. Exams, appointment steps, reviews,
post changes, gradings and pay write their entries automatically (`automatic=True`) with a key
derived from the event, so a retried write never doubles an entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.officers.models.grading import DossierEntry
from shared.errors import Conflict, InvalidInput
from shared.paging import keyset


class EntryKind(StrEnum):
    """O16 dossier contents."""

    DOCUMENT = "document"
    EXAM = "exam"
    CERTIFICATE = "certificate"
    APPOINTMENT = "appointment"
    REVIEW = "review"
    POST = "post"
    GRADING = "grading"
    PAY = "pay"
    REWARD = "reward"
    PENALTY = "penalty"
    COLLECTION = "collection"


# Kinds a person may add by hand; the others are written by the events they record.
MANUAL_KINDS = frozenset({EntryKind.DOCUMENT, EntryKind.REWARD, EntryKind.PENALTY})


class DocumentType(StrEnum):
    """O16 documents."""

    APPLICATION = "application"
    RESPONSIBLE_LOAN_LIST = "responsible_loan_list"
    NPL_LIST = "npl_list"
    CONTRACT = "contract"
    ID = "id"
    DIPLOMA = "diploma"
    CERTIFICATE = "certificate"
    OTHER = "other"


class Finding(StrEnum):
    """O11 compliance findings a penalty records (counted by grading when the year's figures
    leave the count blank); `other` is not counted."""

    FINE = "fine"
    CRITICISM = "criticism"
    SERIOUS_VIOLATION = "serious_violation"
    OTHER = "other"


@dataclass(frozen=True)
class NewEntry:
    """An entry to append; `key` makes the write idempotent."""

    key: str
    officer_id: str
    kind: EntryKind
    title: str
    occurred_on: date
    details: dict[str, Any] = field(default_factory=dict)
    subtype: str | None = None


async def append(
    session: AsyncSession, entries: Sequence[NewEntry], *, by: str, at: datetime
) -> None:
    """O16: append automatic entries (bulk); keys already present are skipped."""
    if not entries:
        return
    keys = [e.key for e in entries]
    present: set[str] = set()
    for start in range(0, len(keys), 900):
        chunk = keys[start : start + 900]
        present |= set(
            await session.scalars(
                select(DossierEntry.entry_key).where(DossierEntry.entry_key.in_(chunk))
            )
        )
    rows = [
        {
            "entry_key": e.key,
            "officer_id": e.officer_id,
            "kind": e.kind.value,
            "subtype": e.subtype,
            "title": e.title[:300],
            "occurred_on": e.occurred_on,
            "details": e.details,
            "supersedes_id": None,
            "automatic": True,
            "recorded_by": by,
            "recorded_at": at,
        }
        for e in entries
        if e.key not in present
    ]
    for start in range(0, len(rows), 2000):
        await session.execute(insert(DossierEntry), rows[start : start + 2000])


async def add_manual(
    session: AsyncSession,
    entry: NewEntry,
    *,
    supersedes: int | None,
    by: str,
    at: datetime,
) -> tuple[DossierEntry, bool]:
    """O16: a person's entry (document, reward, penalty); a repeat of the same key returns the
    first entry. Returns the entry and whether it was added now."""
    existing = (
        await session.scalars(select(DossierEntry).where(DossierEntry.entry_key == entry.key))
    ).first()
    if existing is not None:
        same = (
            (existing.officer_id, existing.kind, existing.title, existing.subtype)
            == (
                entry.officer_id,
                entry.kind.value,
                entry.title,
                entry.subtype,
            )
            and existing.details == entry.details
            and existing.supersedes_id == supersedes
        )
        if not same:
            raise Conflict(f"O16: dossier entry {entry.key} already exists with other content")
        return existing, False
    if supersedes is not None:
        await _check_supersedes(session, entry.officer_id, supersedes)
    row = DossierEntry(
        entry_key=entry.key,
        officer_id=entry.officer_id,
        kind=entry.kind.value,
        subtype=entry.subtype,
        title=entry.title,
        occurred_on=entry.occurred_on,
        details=entry.details,
        supersedes_id=supersedes,
        automatic=False,
        recorded_by=by,
        recorded_at=at,
    )
    session.add(row)
    await session.flush()
    return row, True


async def _check_supersedes(session: AsyncSession, officer_id: str, old_id: int) -> None:
    old = await session.get(DossierEntry, old_id)
    if old is None or old.officer_id != officer_id:
        raise InvalidInput(
            f"entry {old_id} is not in this officer's dossier", pointer="/supersedes", rule="O16"
        )
    if old.automatic:
        raise Conflict(
            f"O16: entry {old_id} records an event; correct the event, not its dossier entry"
        )
    taken = (
        await session.scalars(select(DossierEntry.id).where(DossierEntry.supersedes_id == old_id))
    ).first()
    if taken is not None:
        raise Conflict(f"O16: entry {old_id} is already superseded by entry {taken}")


def _of(officer_id: str, kind: str | None) -> list[ColumnElement[bool]]:
    where = [DossierEntry.officer_id == officer_id]
    return where if kind is None else [*where, DossierEntry.kind == kind]


async def entry_page(
    session: AsyncSession, officer_id: str, *, kind: str | None, limit: int, cursor: str | None
) -> tuple[Sequence[DossierEntry], dict[int, int]]:
    """A page (up to `limit + 1` rows) of an officer's entries, oldest first, and the entry
    (of the same filter) that supersedes each of them."""
    stmt = select(DossierEntry).where(*_of(officer_id, kind))
    rows = (
        await session.scalars(keyset(stmt, [(DossierEntry.id, False)], cursor=cursor, limit=limit))
    ).all()
    newer = select(DossierEntry.supersedes_id, DossierEntry.id).where(
        *_of(officer_id, kind), DossierEntry.supersedes_id.in_([r.id for r in rows])
    )
    found = (await session.execute(newer)).all()
    return rows, {old: new for old, new in found if old is not None}


async def summary(
    session: AsyncSession, officer_id: str, *, kind: str | None
) -> tuple[int, datetime | None]:
    """O16 over the whole dossier (of a kind): entries no later one supersedes, last write."""
    later = aliased(DossierEntry)
    superseded = exists().where(
        later.officer_id == officer_id,
        later.supersedes_id == DossierEntry.id,
        *([] if kind is None else [later.kind == kind]),
    )
    stmt = select(func.count().filter(~superseded), func.max(DossierEntry.recorded_at)).where(
        *_of(officer_id, kind)
    )
    current, last = (await session.execute(stmt)).one()
    return int(current), last
