"""Applying events: load a batch's state, decide with the pure rules, persist (W1-W8, W18).

One `BatchApplier` per batch (one database transaction): it loads the loans, open warnings and
parked events the batch touches in a few queries, applies the events in order, and writes the
new rows in bulk. Events of a loan not known yet are parked and applied when it arrives (W18).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings import escalation_feed, policies, store, tiles_store
from services.warnings.batch_state import (
    BatchState,
    Raised,
    borrower_key,
    entity_keys,
    event_entities,
    loan_key,
    signals_of,
)
from services.warnings.deadlines import compute_deadlines
from services.warnings.models import ParkedEvent, ProcessedEvent
from services.warnings.publish import publish
from services.warnings.rules import decide_escalation, group_contagion_targets
from services.warnings.signals import Signal, exposure, signal_for
from services.warnings.store import LoanRow, WarningRow, tile_row_of
from services.warnings.vocabulary import WarningCategory, WarningKind, WarningLevel
from shared.clock import Clock
from shared.db import dialect_name, lock_keys
from shared.errors import ConcurrentChange
from shared.events import (
    BorrowerGroupLinked,
    Event,
    LoanClassified,
    LoanDisbursed,
    LoanMatured,
    LoanMaturityChecked,
    RepaymentReceived,
    parse_event,
)
from shared.inbox import apply_once
from shared.outbox import Outbox
from shared.transport import Handler

log = logging.getLogger("warnings.service")
PROCESSED_TABLE: Table = ProcessedEvent.__table__  # type: ignore[assignment]
SYSTEM = "system"


T = TypeVar("T")
ATTEMPTS = 5


async def under_entity_locks(
    session: AsyncSession, keys: set[str], attempt: Callable[[frozenset[str] | None], Awaitable[T]]
) -> T:
    """Issue 14: run `attempt` holding the entity locks of `keys` (W4/W18: a batch reads the
    open warnings it then raises or escalates, so two writers of one borrower must not
    interleave; writers of different borrowers run side by side). The locks are taken in one
    sorted sweep; if the attempt reaches entities beyond them (`ConcurrentChange`) its work is
    rolled back to a savepoint, those are locked too and it runs again, reading afresh. Two
    transactions growing their sets into each other is a deadlock PostgreSQL breaks (40P01:
    retried by the consumer, a 503 to retry over HTTP). SQLite: writers are one at a time."""
    if dialect_name(session) != "postgresql":
        return await attempt(None)
    held = frozenset(keys)
    await lock_keys(session, held)
    for _ in range(ATTEMPTS):
        try:
            async with session.begin_nested():
                return await attempt(held)
        except ConcurrentChange as exc:
            log.info("batch reached %d entities it had not locked: again with them", len(exc.keys))
            await lock_keys(session, exc.keys - held)
            held |= exc.keys
    raise ConcurrentChange(f"the batch kept reaching new entities after {ATTEMPTS} attempts")


async def lock_warning(session: AsyncSession, loan_id: str | None, borrower_id: str | None) -> None:
    """A lifecycle action's entity locks (W10-W12): its borrower's and its loan's, as event
    batches about them take them."""
    keys = {borrower_key(borrower_id)} if borrower_id else set()
    await lock_keys(session, keys | ({loan_key(loan_id)} if loan_id else set()))


class BatchApplier(BatchState):
    """Applies one batch of new events inside the caller's transaction."""

    async def apply(self, events: Sequence[Event]) -> None:
        """W18: apply the events in order; record each one."""
        async with store.planned_per_call(self.session):
            await self._preload(events)
        for event in events:
            await self._apply_one(event)
        await store.add_event_records(self.session, events)
        await self.flush()

    async def flush(self) -> None:
        """Write what the batch decided (new warnings, changes, history) to the session."""
        self.check_locked()
        await self.session.flush()  # parked events (ORM rows) first
        new_ids = {w.id for w in self.new_warnings}
        await store.insert_warnings(self.session, self.new_warnings)
        escalated = [w for w in self.changed_warnings.values() if w.id not in new_ids]
        await store.update_warnings(self.session, escalated)
        for w in self.new_warnings:
            tiles_store.note(self.session, None, tile_row_of(w))
        for w in escalated:
            after = tile_row_of(w)
            tiles_store.note(self.session, replace(after, level=self.level_before[w.id]), after)
        self.new_warnings, self.changed_warnings, self.level_before = [], {}, {}
        await store.insert_loans(self.session, self.new_loans.values())
        changed = [x for x in self.changed_loans.values() if x.loan_id not in self.new_loans]
        await store.update_loans(self.session, changed)
        self.new_loans, self.changed_loans = {}, {}
        await store.add_group_members(self.session, self.new_members)
        await store.close_check_tasks(self.session, self.checks_done)
        await escalation_feed.insert_history(self.session, self.history, self.org_of)
        self.history, self.new_members, self.checks_done = [], [], []
        self.org_of = {}

    async def _apply_one(self, event: Event) -> None:
        if isinstance(event, LoanDisbursed):
            assert event.loan_id
            assert event.borrower_id
            first_loan = not self.loans_by_borrower.get(event.borrower_id)
            await self._disburse(event)
            await self._replay(event.loan_id)
            if first_loan:
                await self._replay(event.borrower_id)
                await self._rejoin(event.borrower_id)
            return
        if isinstance(event, BorrowerGroupLinked) and event.borrower_id:
            self._join(event.body.group_id, event.borrower_id)
            await self._rejoin(event.borrower_id)
            return
        loan = self.loans.get(event.loan_id) if event.loan_id else None
        if event.loan_id and loan is None:
            self._park(event, event.loan_id)
            return
        if event.loan_id is None and event.borrower_id:
            if not self.loans_by_borrower.get(event.borrower_id):
                self._park(event, event.borrower_id)  # no loan here yet: wait for one
                return
        if loan is not None:
            await self._update_loan(loan, event)
        signal = (
            self.signals[event.event_id]
            if event.event_id in self.signals
            else signal_for(event, self.rules.levels, self.tz)
        )
        if signal is not None:
            await self._signal(event, loan, signal)

    async def _replay(self, subject: str) -> None:
        """W18: apply, in their order, the events parked until `subject` arrived."""
        for row in self.parked.pop(subject, []):
            if row in self.session.new:
                self.session.expunge(row)  # parked earlier in this same batch
            await self._apply_one(parse_event(orjson.dumps(row.payload)))

    async def _rejoin(self, borrower_id: str) -> None:
        """W1e as a standing rule: when a borrower gets its first loan here or joins a group,
        the open warnings of its group (its own included) reach every member with loans."""
        members = set().union(*(self.groups[g] for g in await self._groups_of(borrower_id)))
        sources = [
            w
            for member in members
            for w in self.open_of.get(member, [])
            if w.category == WarningCategory.BUSINESS.value
            and w.kind != WarningKind.GROUP_CONTAGION.value
            and (w.kind, w.subject) in self.open
        ]
        for warning in sources:
            await self._spread(warning, warning.borrower_id or "", warning.discovered_at)

    async def _disburse(self, event: LoanDisbursed) -> None:
        assert event.loan_id
        assert event.borrower_id
        if event.loan_id in self.loans:
            return  # the same loan disbursed again under another event id: keep the first
        body = event.body
        loan = LoanRow(
            loan_id=event.loan_id,
            borrower_id=event.borrower_id,
            org=event.org,
            amount=body.amount,
            balance=body.amount,
            currency=body.currency,
            maturity_date=body.maturity_date,
            five_class="normal",
            tier=None,
            status="active",
            disbursed_at=event.occurred_at,
            updated_at=event.occurred_at,
        )
        self.new_loans[loan.loan_id] = loan
        self.loans[loan.loan_id] = loan
        self.loans_by_borrower.setdefault(loan.borrower_id, []).append(loan)
        if body.group_id:
            self._join(body.group_id, event.borrower_id)

    def _park(self, event: Event, subject: str) -> None:
        """W18: keep an event until its loan (or the borrower's first loan) arrives."""
        payload = event.model_dump(mode="json", exclude_none=True)
        row = ParkedEvent(event_id=event.event_id, subject=subject, payload=payload)
        self.session.add(row)
        self.parked.setdefault(subject, []).append(row)

    async def _update_loan(self, loan: LoanRow, event: Event) -> None:
        self.changed_loans[loan.loan_id] = loan
        if isinstance(event, RepaymentReceived):
            loan.balance = max(loan.balance - event.body.principal, Decimal(0))
            if loan.balance == 0:
                loan.status = "repaid"
        elif isinstance(event, LoanClassified) and not event.body.predicted:
            loan.five_class, loan.tier = event.body.five_class.value, event.body.tier
        elif isinstance(event, LoanMatured) and loan.status == "active":
            loan.status = "matured"
        elif isinstance(event, LoanMaturityChecked):
            done = (loan.loan_id, loan.maturity_date, event.occurred_at, event.body.outcome)
            self.checks_done.append(done)
        loan.updated_at = max(loan.updated_at, event.occurred_at)

    async def _signal(self, event: Event, loan: LoanRow | None, signal: Signal) -> None:
        if signal.borrower_level:
            borrower = event.borrower_id or (loan.borrower_id if loan else "")
            subject = Subject(None, borrower, event.org, self.exposure_of(borrower), None)
        else:
            assert loan is not None
            subject = Subject(loan.loan_id, loan.borrower_id, loan.org, loan.balance, loan)
        await self.signal(signal, subject, source="event", source_event=event.event_id)

    async def signal(
        self,
        signal: Signal,
        subject: Subject,
        *,
        source: str,
        source_event: str | None = None,
        actor: str = SYSTEM,
    ) -> None:
        """W4: raise, escalate or record; a business warning spreads to the group (W1e)."""
        warning = self._raise_or_escalate(
            signal, subject, source=source, source_event=source_event, actor=actor
        )
        if warning is not None and signal.kind.category is WarningCategory.BUSINESS:
            await self._spread(warning, subject.borrower_id, signal.discovered_at)

    async def _spread(self, source: WarningRow, borrower_id: str, discovered: datetime) -> None:
        """W1e: related enterprises with loans here get a warning at the same level."""
        if source.kind == WarningKind.GROUP_CONTAGION.value:
            return
        groups = {g: frozenset(self.groups[g]) for g in await self._groups_of(borrower_id)}
        with_loans = {
            b for members in groups.values() for b in members if self.loans_by_borrower.get(b)
        }
        targets = group_contagion_targets(
            borrower_id,
            WarningLevel(source.level),
            source_kind=WarningKind(source.kind),
            groups=groups,
            borrowers_with_loans=frozenset(with_loans),
        )
        for target in targets:
            current = self.open.get((WarningKind.GROUP_CONTAGION.value, target.borrower_id))
            if current is not None and WarningLevel(current.level) >= target.level:
                continue  # already warned at this level: nothing new to record
            loans = self.loans_by_borrower[target.borrower_id]
            subject = Subject(
                None, target.borrower_id, loans[0].org, exposure([x.balance for x in loans]), None
            )
            signal = Signal(
                WarningKind.GROUP_CONTAGION,
                target.level,
                discovered,
                f"group {target.via_group}: {source.kind} warning {source.id} on {borrower_id}",
            )
            self._raise_or_escalate(signal, subject, source="contagion", source_warning=source.id)

    def _raise_or_escalate(
        self,
        signal: Signal,
        subject: Subject,
        *,
        source: str,
        source_event: str | None = None,
        source_warning: str | None = None,
        actor: str = SYSTEM,
    ) -> WarningRow | None:
        """W4: raise a new warning, escalate the open one, or record a lower signal on it.
        Returns the warning when it was raised or escalated."""
        key = subject.loan_id or subject.borrower_id
        current = self.open.get((signal.kind.value, key))
        if signal.level is None:
            if current is not None:
                self._log(current, "signal_recorded", {"detail": signal.detail}, actor)
            return None
        if current is None:
            warning = self._new_warning(signal, subject, key, source, source_event, source_warning)
            self._remember(warning)
            self._log(warning, "raised", {"detail": signal.detail}, actor)
            self.changes.append(Raised(warning, "warning.raised"))
            return warning
        decision = decide_escalation(WarningLevel(current.level), signal.level)
        if not decision.escalated:
            detail = {"level": signal.level.value, "detail": signal.detail}
            self._log(current, "signal_recorded", detail, actor)
            return None
        previous = current.level
        self.level_before.setdefault(current.id, previous)
        current.level = decision.level.value
        current.touch(self.now)
        self.changed_warnings[current.id] = current
        self._log(current, "escalated", {"from": previous, "detail": signal.detail}, actor)
        self.changes.append(Raised(current, "warning.escalated"))
        return current

    def _new_warning(
        self,
        signal: Signal,
        subject: Subject,
        key: str,
        source: str,
        source_event: str | None,
        source_warning: str | None,
    ) -> WarningRow:
        assert signal.level is not None
        maturity = subject.loan.maturity_date if subject.loan is not None else None
        deadlines = compute_deadlines(
            signal.kind,
            subject.amount,
            signal.discovered_at,
            maturity_date=maturity,
            tz=self.tz,
            policy=self.rules.deadlines,
        )
        warning = WarningRow(
            id=uuid.uuid4().hex,
            kind=signal.kind.value,
            category=signal.kind.category.value,
            level=signal.level.value,
            state="raised",
            subject=key,
            loan_id=subject.loan_id,
            borrower_id=subject.borrower_id,
            org=subject.org,
            amount=subject.amount,
            detail=signal.detail,
            source=source,
            source_event_id=source_event,
            source_warning_id=source_warning,
            discovered_at=signal.discovered_at,
            raised_at=self.now,
            head_office_required=deadlines.head_office_required,
            branch_deadline=deadlines.branch_deadline,
            head_office_deadline=deadlines.head_office_deadline,
            branch_overdue=False,
            head_office_overdue=False,
            updates_missing=False,
            branch_reported_at=None,
            head_office_reported_at=None,
            team=None,
            resolved_at=None,
            resolution=None,
            updated_at=self.now,
            revision=1,
        )
        self.new_warnings.append(warning)  # inserted in bulk by `flush`
        return warning

    def _log(self, warning: WarningRow, action: str, detail: dict[str, Any], actor: str) -> None:
        self.org_of[warning.id] = warning.org
        self.history.append(
            {
                "warning_id": warning.id,
                "at": self.now,
                "actor": actor,
                "action": action,
                "level": warning.level,
                "state": warning.state,
                "detail": detail,
            }
        )


class HasMaturity(Protocol):
    @property
    def maturity_date(self) -> date: ...


@dataclass(frozen=True)
class Subject:
    """What a warning is about: a loan, or a borrower (then `loan_id` is None)."""

    loan_id: str | None
    borrower_id: str
    org: str
    amount: Decimal
    loan: HasMaturity | None


def event_handler(tz: ZoneInfo, clock: Clock, outbox: Outbox | None = None) -> Handler:
    """The consumer's handler: apply a deduplicated batch (W18) and announce the warnings it
    raised or escalated on `warning-events` through the outbox, in the same transaction (W16)."""

    cached: dict[tuple[tuple[str, int, datetime], ...], policies.Policies] = {}

    async def handle(session: AsyncSession, events: Sequence[Event]) -> None:
        # Policies change rarely: parse them again only when a stored version changed.
        versions = await store.policy_versions(session)
        rules = cached.get(versions)
        if rules is None:
            rules = await policies.load(session)
            cached.clear()
            cached[versions] = rules
        now = clock.now()

        signals = signals_of(events, rules.levels, tz)

        async def attempt(locked: frozenset[str] | None) -> BatchApplier:
            applier = BatchApplier(
                session, rules=rules, tz=tz, now=now, locked=locked, signals=signals
            )
            await applier.apply(events)
            await session.flush()
            return applier

        keys = await entity_keys(session, **event_entities(events, signals))
        applier = await under_entity_locks(session, keys, attempt)
        changes = [(c.warning, c.change) for c in applier.changes]
        await publish(outbox, session, changes, applier.now)

    return handle


def ingest_handler(consumer_group: str, tz: ZoneInfo, clock: Clock) -> Handler:
    """Embedded mode: dedupe on event_id, then apply, in the caller's transaction (W18, W19)."""
    handle = event_handler(tz, clock)

    async def ingest(session: AsyncSession, events: Sequence[Event]) -> None:
        # A repeat of an event being applied by a concurrent request waits on the claim (the
        # processed-event key), then finds it claimed.
        await apply_once(session, PROCESSED_TABLE, consumer_group, events, handle)

    return ingest
