"""The in-memory state of one batch of events and how it is loaded (W1e, W4, W18).

`BatchState` loads, in a few queries per batch, the loans, groups, open warnings and parked
events a batch of events touches; `service.BatchApplier` decides and writes on top of it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings import policies, store
from services.warnings.models import ParkedEvent
from services.warnings.policy import LevelPolicy
from services.warnings.signals import Signal, exposure, signal_for
from services.warnings.store import LoanRow, WarningRow
from services.warnings.vocabulary import WarningCategory
from shared.errors import ConcurrentChange
from shared.events import BorrowerGroupLinked, Event, LoanDisbursed


@dataclass(frozen=True)
class Raised:
    """A warning change to announce on `warning-events` (raised or escalated)."""

    warning: WarningRow
    change: str


def borrower_key(borrower_id: str) -> str:
    """The entity lock of a borrower: its loans, its warnings and its loans' (issue 14)."""
    return f"warnings.borrower:{borrower_id}"


def loan_key(loan_id: str) -> str:
    """The entity lock of a loan id: its row and the events parked for it (W18)."""
    return f"warnings.loan:{loan_id}"


async def entity_keys(
    session: AsyncSession,
    *,
    loan_ids: Collection[str],
    borrowers: Collection[str],
    spreading_loans: Collection[str] = (),
    spreading_borrowers: Collection[str] = (),
    rejoining: Collection[str] = (),
    group_ids: Collection[str] = (),
) -> set[str]:
    """The entities a batch may write, read before any lock: its loans and their borrowers;
    for a business signal that spreads (W1e `_spread`: the `spreading_*` loans and borrowers)
    the members of the borrower's groups; for a borrower that gets its first loan or joins a
    group (`_rejoin`: `rejoining`, `group_ids`) the members of those groups and of the
    members' own groups. A repayment or a signal that stays on its subject locks no member.
    What the batch finally writes is checked against it (`BatchState.check_locked`)."""
    async with store.planned_per_call(session):  # array arguments: plans for the values
        known = await store.borrowers_of_loans(session, {*loan_ids, *spreading_loans})
        owners = set(borrowers) | {known[x] for x in loan_ids if x in known}
        spreading = set(spreading_borrowers) | {known[x] for x in spreading_loans if x in known}
        members: set[str] = set()
        if spreading:
            members = set().union(*(await store.group_members(session, spreading, ())).values())
        second: set[str] = set()
        if rejoining or group_ids:
            groups = await store.group_members(session, rejoining, group_ids)
            joined = set().union(*groups.values())
            members |= joined
            second = set().union(
                *(await store.group_members(session, joined - owners, ())).values()
            )
    # A known loan is written under its borrower's lock; a loan id not known yet has its own
    # (its disbursement and the events parked for it meet there). One lock per entity: each
    # takes a slot of PostgreSQL's lock table (max_locks_per_transaction, docs/operations.md).
    keys = {loan_key(x) for x in loan_ids if x not in known}
    keys |= {borrower_key(b) for b in owners | members | second}
    return keys


def signals_of(
    events: Sequence[Event], levels: LevelPolicy, tz: ZoneInfo
) -> dict[str, Signal | None]:
    """Event id -> the signal it carries (W1-W3), worked out once per batch: the entity-lock
    pass and the batch's load both need it."""
    return {e.event_id: signal_for(e, levels, tz) for e in events}


def event_entities(
    events: Sequence[Event], signals: dict[str, Signal | None]
) -> dict[str, set[str]]:
    """What `entity_keys` needs of a batch of events (and their `signals_of`): the loans and
    borrowers they name, the ones whose business signal spreads to the group (W1e), the
    borrowers that rejoin."""
    groups = {e.body.group_id for e in events if isinstance(e, BorrowerGroupLinked)}
    groups |= {e.body.group_id for e in events if isinstance(e, LoanDisbursed) and e.body.group_id}
    spreading = [e for e in events if _spreads(signals[e.event_id])]
    return {
        "loan_ids": {e.loan_id for e in events if e.loan_id},
        "borrowers": {e.borrower_id for e in events if e.borrower_id},
        "spreading_loans": {e.loan_id for e in spreading if e.loan_id},
        "spreading_borrowers": {e.borrower_id for e in spreading if e.borrower_id},
        "rejoining": {
            e.borrower_id
            for e in events
            if isinstance(e, LoanDisbursed | BorrowerGroupLinked) and e.borrower_id
        },
        "group_ids": groups,
    }


def _spreads(signal: Signal | None) -> bool:
    return (
        signal is not None
        and signal.level is not None
        and signal.kind.category is WarningCategory.BUSINESS
    )


class BatchState:
    """What one batch of events needs in memory, loaded once per batch."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        rules: policies.Policies,
        tz: ZoneInfo,
        now: datetime,
        locked: frozenset[str] | None = None,
        signals: dict[str, Signal | None] | None = None,
    ) -> None:
        self.session, self.rules, self.tz, self.now = session, rules, tz, now
        # The entity locks this transaction holds (issue 14); None: writers are one at a time
        # anyway (SQLite), nothing to check.
        self.locked = locked
        self.loans: dict[str, LoanRow] = {}
        self.loans_by_borrower: dict[str, list[LoanRow]] = {}
        self.new_loans: dict[str, LoanRow] = {}
        self.changed_loans: dict[str, LoanRow] = {}
        self.new_warnings: list[WarningRow] = []
        self.changed_warnings: dict[str, WarningRow] = {}  # escalated, by id
        self.level_before: dict[str, str] = {}  # escalated: its level when loaded (tiles)
        self.open: dict[tuple[str, str], WarningRow] = {}
        self.open_of: dict[str, list[WarningRow]] = {}  # borrower -> its open warnings
        self.groups: dict[str, set[str]] = {}  # group id -> member borrowers
        self.groups_of: dict[str, set[str]] = {}  # borrower -> its groups
        self.groups_loaded: set[str] = set()  # borrowers whose groups are all loaded
        self.fully_loaded: set[str] = set()  # borrowers whose every open warning is loaded
        # Event id -> its signal (`signals_of`, given or worked out by `_preload`).
        self.signals: dict[str, Signal | None] = dict(signals or {})
        self.history: list[dict[str, Any]] = []
        self.org_of: dict[str, str] = {}  # warning id -> its node, for the history's warnings
        self.parked: dict[str, list[ParkedEvent]] = {}
        self.new_members: list[dict[str, str]] = []
        self.checks_done: list[tuple[str, Any, datetime, str]] = []
        self.changes: list[Raised] = []

    async def preload_subjects(self, subjects: set[str]) -> None:
        """Load what a warning about these loan or borrower ids needs (loans, groups, open
        warnings)."""
        known = await store.borrowers_of_loans(self.session, subjects)
        borrowers = set(known.values()) | (subjects - known.keys())
        await self._load(borrowers, full=borrowers, spreading=borrowers)

    def exposure_of(self, borrower_id: str) -> Decimal:
        """The borrower's outstanding balance here (loaded by `preload_subjects`)."""
        return exposure([x.balance for x in self.loans_by_borrower.get(borrower_id, [])])

    async def _preload(self, events: Sequence[Event]) -> None:
        """A few queries for the whole batch: parked events, loans, groups, open warnings."""
        disbursed = [e for e in events if isinstance(e, LoanDisbursed)]
        arriving = {e.loan_id for e in disbursed if e.loan_id} | {
            e.borrower_id for e in disbursed if e.borrower_id
        }
        for row in await store.take_parked(self.session, arriving):
            self.parked.setdefault(row.subject, []).append(row)
        loan_ids = {e.loan_id for e in events if e.loan_id}
        borrower_of = {e.loan_id: e.borrower_id for e in disbursed if e.loan_id and e.borrower_id}
        borrower_of |= await store.borrowers_of_loans(self.session, loan_ids)
        borrowers = {e.borrower_id for e in events if e.borrower_id} | set(borrower_of.values())
        group_ids = {e.body.group_id for e in disbursed if e.body.group_id}
        group_ids |= {e.body.group_id for e in events if isinstance(e, BorrowerGroupLinked)}
        # A borrower that gets a loan or joins a group (W1e `_rejoin`; its parked events are
        # replayed) needs everything; a signal (W4) the open warning of its kind and subject,
        # and the borrower's group if it may raise a business warning (W1e `_spread`).
        rejoining = {
            e.borrower_id
            for e in events
            if isinstance(e, LoanDisbursed | BorrowerGroupLinked) and e.borrower_id
        }
        signalled: set[tuple[str, str]] = set()
        spreading: set[str] = set()
        for e in events:
            if e.event_id not in self.signals:
                self.signals[e.event_id] = signal_for(e, self.rules.levels, self.tz)
            signal = self.signals[e.event_id]
            borrower = e.borrower_id or borrower_of.get(e.loan_id or "")
            if signal is None or borrower is None:
                continue
            subject = borrower if signal.borrower_level else e.loan_id
            signalled.add((signal.kind.value, subject or ""))
            if signal.level is not None and signal.kind.category is WarningCategory.BUSINESS:
                spreading.add(borrower)
        await self._load(
            borrowers,
            full=rejoining,
            signalled=signalled,
            group_ids=group_ids,
            rejoining=rejoining,
            spreading=spreading,
        )

    async def _load(
        self,
        borrowers: set[str],
        *,
        full: Collection[str],
        signalled: Collection[tuple[str, str]] = (),
        group_ids: Collection[str] = (),
        rejoining: Collection[str] = (),
        spreading: Collection[str] = (),
    ) -> None:
        """Load into the batch's memory the groups of `rejoining` and `spreading` borrowers
        (and `group_ids`) with their members, the loans of `borrowers` and of every member,
        and the open warnings the rules look at: all of those of `full` and of the members of
        the groups `rejoining` borrowers are in or join (`_rejoin` spreads them), the ones of
        the `signalled` (kind, subject) pairs, the contagion warnings (all `_spread` looks up)
        of the others."""
        await self._load_groups(set(rejoining) | set(spreading), group_ids)
        # `_rejoin` spreads the members' warnings to their own groups: load those too.
        await self._load_groups(self._members_of(rejoining, group_ids))
        everyone = borrowers.union(*self.groups.values()) - self.loans_by_borrower.keys()
        for b in everyone:
            self.loans_by_borrower[b] = []
        for row in await store.loan_rows_of_borrowers(self.session, everyone):
            loan = self.loans.setdefault(row.loan_id, row)  # a copy in hand is newer
            self.loans_by_borrower[loan.borrower_id].append(loan)
        full = (set(full) | self._members_of(rejoining, group_ids)) - self.fully_loaded
        self.fully_loaded |= full
        for warning in await store.open_warnings_of_borrowers(
            self.session, full, contagion_of=everyone - full, subjects=signalled
        ):
            self._remember(warning)

    async def _load_groups(self, borrowers: set[str], group_ids: Collection[str] = ()) -> None:
        """The groups of these borrowers (once per borrower) and `group_ids`, all members."""
        borrowers = borrowers - self.groups_loaded
        self.groups_loaded |= borrowers
        if not borrowers and not group_ids:
            return
        for group_id, members in (
            await store.group_members(self.session, borrowers, group_ids)
        ).items():
            self.groups.setdefault(group_id, set()).update(members)
            for member in members:
                self.groups_of.setdefault(member, set()).add(group_id)

    def _members_of(self, borrowers: Collection[str], group_ids: Collection[str]) -> set[str]:
        """Every member of the loaded groups of `borrowers` and of `group_ids`."""
        groups = {g for b in borrowers for g in self.groups_of.get(b, ())} | set(group_ids)
        return set().union(*(self.groups.get(g, ()) for g in groups))

    async def _groups_of(self, borrower_id: str) -> set[str]:
        """The borrower's groups, all members loaded; loads them now if `_preload` did not
        foresee the need (a member's warning spread again by `_rejoin`)."""
        if borrower_id not in self.groups_loaded:
            with self.session.no_autoflush:  # rows parked in this batch stay pending (W18)
                await self._load(set(), full=(), spreading={borrower_id})
        return self.groups_of.get(borrower_id, set())

    def check_locked(self) -> None:
        """Issue 14: before writing, every borrower whose warnings this batch writes must be
        locked (it was read under its lock); else a concurrent change may have been missed:
        `ConcurrentChange` names the missing keys, and the batch runs again with them."""
        if self.locked is None:
            return
        written = [*self.new_warnings, *self.changed_warnings.values()]
        needed = {
            borrower_key(w.borrower_id) if w.borrower_id else loan_key(w.loan_id or w.subject)
            for w in written
        }
        # A loan that became known meanwhile (disbursed by another replica) is its borrower's.
        needed |= {borrower_key(x.borrower_id) for x in self.changed_loans.values()}
        missing = frozenset(needed - self.locked)
        if missing:
            raise ConcurrentChange(
                f"the batch reached {len(missing)} entities it had not locked", keys=missing
            )

    def _remember(self, warning: WarningRow) -> None:
        if (warning.kind, warning.subject) in self.open:
            return
        self.open[(warning.kind, warning.subject)] = warning
        if warning.borrower_id:
            self.open_of.setdefault(warning.borrower_id, []).append(warning)

    def _join(self, group_id: str, borrower_id: str) -> None:
        """W1e: record a group link (in memory now, in the database at flush)."""
        if group_id in self.groups_of.get(borrower_id, set()):
            return
        self.groups.setdefault(group_id, set()).add(borrower_id)
        self.groups_of.setdefault(borrower_id, set()).add(group_id)
        self.loans_by_borrower.setdefault(borrower_id, [])
        self.new_members.append({"group_id": group_id, "borrower_id": borrower_id})
