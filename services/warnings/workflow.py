"""What people do with a warning (W9-W13): report, update, mitigate, resolve, raise by hand.

Each function loads nothing itself: it takes the warning (already scope-checked), decides with
the pure lifecycle rules and writes the change with its history row (who, when, what).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings import escalation_feed, policies, store
from services.warnings.batch_state import entity_keys
from services.warnings.deadlines import YearMonth, head_office_deadline
from services.warnings.models import EarlyWarning, WarningHistory, WarningReport, WarningUpdate
from services.warnings.publish import AnyWarning
from services.warnings.rules import TransitionError, WarningAction, WarningState, next_state
from services.warnings.schemas import (
    MitigationCreate,
    ReportCreate,
    ResolveCreate,
    UpdateCreate,
    WarningCreate,
)
from services.warnings.service import BatchApplier, Subject, under_entity_locks
from services.warnings.signals import Signal
from services.warnings.store import WarningRow
from services.warnings.vocabulary import (
    RuleInputError,
    WarningCategory,
    WarningKind,
    WarningLevel,
)
from shared.auth import Caller
from shared.errors import Conflict, InvalidInput

ACTION_BY_STEP = {
    "branch": WarningAction.REPORT_TO_BRANCH,
    "head_office": WarningAction.REPORT_TO_HEAD_OFFICE,
}


def _transition(warning: EarlyWarning, action: WarningAction) -> WarningState:
    try:
        return next_state(
            WarningState(warning.state),
            action,
            warning.head_office_required,
            category=WarningCategory(warning.category),
        )
    except TransitionError as exc:
        raise Conflict(str(exc)) from None


def _log(
    session: AsyncSession,
    warning: EarlyWarning,
    *,
    caller: Caller,
    action: str,
    at: datetime,
    detail: dict[str, Any],
) -> None:
    session.add(
        WarningHistory(
            warning_id=warning.id,
            at=at,
            actor=caller.subject,
            action=action,
            level=warning.level,
            state=warning.state,
            detail=detail,
        )
    )


def _when(given: datetime | None, now: datetime, *, pointer: str, rule: str) -> datetime:
    """A reported moment: now when not given, never in the future."""
    if given is None:
        return now
    if given > now:
        raise InvalidInput("cannot be in the future", pointer=pointer, rule=rule)
    return given


async def report(
    session: AsyncSession,
    warning: EarlyWarning,
    body: ReportCreate,
    *,
    caller: Caller,
    now: datetime,
    tz: ZoneInfo,
) -> EarlyWarning:
    """W10/W12: a report to the branch or head office. The first report of a step (a phone
    report in an emergency) moves the state and counts for the deadline; a written report after
    a phone one completes it. A report after its deadline stays late for ever (W13)."""
    at = _when(body.reported_at, now, pointer="/reported_at", rule="W12")
    if at < warning.discovered_at:
        raise InvalidInput(
            "is before the warning was discovered", pointer="/reported_at", rule="W12"
        )
    first = await store.reports_of(session, warning.id, step=body.step)
    if first and not (body.channel == "written" and all(r.channel == "phone" for r in first)):
        raise Conflict(f"W12: the warning was already reported to {body.step.replace('_', ' ')}")
    if body.channel == "written" and not (body.content.cause and body.content.measures):
        raise InvalidInput(
            "a written report needs the cause and the measures planned",
            pointer="/content",
            rule="W12",
        )
    late = False
    if not first:
        warning.state = _transition(warning, ACTION_BY_STEP[body.step]).value
        late = _record_step(warning, body.step, at, tz, await policies.load(session))
    else:
        late = _late(warning, body.step, first[0].reported_at)
    session.add(
        WarningReport(
            warning_id=warning.id,
            step=body.step,
            channel=body.channel,
            reported_at=at,
            reported_by=caller.subject,
            late=late,
            content=body.content.model_dump(),
        )
    )
    warning.touch(now)
    action = f"reported_to_{body.step}" + ("_by_phone" if body.channel == "phone" else "")
    _log(session, warning, caller=caller, action=action, at=now, detail={"late": late})
    return warning


def _late(warning: EarlyWarning, step: str, at: datetime) -> bool:
    deadline = warning.branch_deadline if step == "branch" else warning.head_office_deadline
    return deadline is not None and at.replace(microsecond=0) > deadline


def _record_step(
    warning: EarlyWarning, step: str, at: datetime, tz: ZoneInfo, rules: policies.Policies
) -> bool:
    late = _late(warning, step, at)
    if step == "branch":
        warning.branch_reported_at = at
        warning.branch_overdue = warning.branch_overdue or late
        if warning.head_office_required and warning.category == WarningCategory.BUSINESS.value:
            # W7: head office is due within 2 days (>= 5M: 24 h) of the branch report.
            warning.head_office_deadline = head_office_deadline(
                warning.amount, at, tz=tz, policy=rules.deadlines
            )
    else:
        warning.head_office_reported_at = at
        warning.head_office_overdue = warning.head_office_overdue or late
    return late


async def add_update(
    session: AsyncSession,
    warning: EarlyWarning,
    body: UpdateCreate,
    *,
    caller: Caller,
    now: datetime,
    tz: ZoneInfo,
) -> EarlyWarning:
    """W11: a written monthly progress update on an open warning."""
    _require_open(warning, "W11")
    at = _when(body.at, now, pointer="/at", rule="W11")
    month = YearMonth.of(at, tz)
    session.add(
        WarningUpdate(
            warning_id=warning.id,
            month=f"{month.year:04d}-{month.month:02d}",
            at=at,
            by=caller.subject,
            text=body.text,
        )
    )
    if month == YearMonth.of(now, tz):
        warning.updates_missing = False
    warning.touch(now)
    _log(session, warning, caller=caller, action="monthly_update", at=now, detail={})
    return warning


async def mitigate(
    session: AsyncSession,
    warning: EarlyWarning,
    body: MitigationCreate,
    *,
    caller: Caller,
    now: datetime,
) -> EarlyWarning:
    """W11: form the mitigation team; a red warning needs the branch principal head in it."""
    if warning.level == WarningLevel.RED.value and not body.branch_principal:
        raise InvalidInput(
            "a red warning needs the branch principal head's participation",
            pointer="/branch_principal",
            rule="W11",
        )
    warning.state = _transition(warning, WarningAction.START_MITIGATION).value
    warning.team = body.model_dump() | {"formed_at": now.isoformat(), "formed_by": caller.subject}
    warning.touch(now)
    _log(session, warning, caller=caller, action="mitigation_started", at=now, detail=warning.team)
    return warning


async def resolve(
    session: AsyncSession,
    warning: EarlyWarning,
    body: ResolveCreate,
    *,
    caller: Caller,
    now: datetime,
) -> EarlyWarning:
    """W10: resolve with a reason (repaid, restructured, risk cleared) or write off."""
    action = WarningAction.WRITE_OFF if body.reason == "written_off" else WarningAction.RESOLVE
    warning.state = _transition(warning, action).value
    warning.resolution, warning.resolved_at = body.reason, now
    warning.touch(now)
    detail = {"reason": body.reason, "detail": body.detail}
    _log(session, warning, caller=caller, action=warning.state, at=now, detail=detail)
    await escalation_feed.drop(session, warning.id)
    return warning


def _require_open(warning: EarlyWarning, rule: str) -> None:
    if warning.state in ("resolved", "written_off"):
        raise Conflict(f"{rule}: the warning is {warning.state}")


async def raise_by_hand(
    session: AsyncSession,
    body: WarningCreate,
    *,
    caller: Caller,
    now: datetime,
    tz: ZoneInfo,
) -> tuple[WarningRow, list[tuple[AnyWarning, str]]]:
    """W9: a warning raised by an officer or by head office; an open one of the same kind on
    the same loan or borrower escalates instead (W4)."""
    kind = WarningKind(body.kind)
    if kind.category is WarningCategory.MANAGEMENT or kind not in _BORROWER_KINDS:
        if body.loan_id is None:
            raise InvalidInput(
                f"a {kind.value} warning is about a loan", pointer="/loan_id", rule="W9"
            )
    elif body.borrower_id is None:
        raise InvalidInput(
            f"a {kind.value} warning is about a borrower", pointer="/borrower_id", rule="W9"
        )
    rules = await policies.load(session)
    discovered = _when(body.discovered_at, now, pointer="/discovered_at", rule="W9")
    signal = Signal(kind, WarningLevel(body.level), discovered, body.detail or "raised by hand")
    source = "head_office" if caller.org == "HO" else "manual"

    async def attempt(locked: frozenset[str] | None) -> BatchApplier:
        applier = BatchApplier(session, rules=rules, tz=tz, now=now, locked=locked)
        subject = await _subject(session, applier, body)
        try:
            await applier.signal(signal, subject, source=source, actor=caller.subject)
        except RuleInputError as exc:
            raise InvalidInput(exc.detail, pointer=f"/{exc.field}", rule=exc.rule) from None
        await applier.flush()
        return applier

    loans = [body.loan_id] if body.loan_id else []
    borrowers = [body.borrower_id] if body.borrower_id else []
    spreads = kind.category is WarningCategory.BUSINESS  # W1e: to the borrower's group
    keys = await entity_keys(
        session,
        loan_ids=loans,
        borrowers=borrowers,
        spreading_loans=loans if spreads else (),
        spreading_borrowers=borrowers if spreads else (),
    )
    applier = await under_entity_locks(session, keys, attempt)
    key = body.loan_id if body.loan_id and kind not in _BORROWER_KINDS else body.borrower_id
    warning = applier.open[(kind.value, key or "")]
    return warning, [(c.warning, c.change) for c in applier.changes]


_BORROWER_KINDS = frozenset(
    {WarningKind.MAJOR_EVENT, WarningKind.FINANCIAL_ANOMALY, WarningKind.GROUP_CONTAGION}
)


async def _subject(session: AsyncSession, applier: BatchApplier, body: WarningCreate) -> Subject:
    if body.loan_id is not None and WarningKind(body.kind) not in _BORROWER_KINDS:
        loans = await store.loans_by_id(session, {body.loan_id})
        if not loans:
            raise InvalidInput(f"loan {body.loan_id} is not known", pointer="/loan_id", rule="W9")
        loan = loans[0]
        await applier.preload_subjects({loan.loan_id})
        amount = body.amount if body.amount is not None else loan.balance
        return Subject(loan.loan_id, loan.borrower_id, body.org, amount, loan)
    assert body.borrower_id is not None
    await applier.preload_subjects({body.borrower_id})
    amount = body.amount if body.amount is not None else applier.exposure_of(body.borrower_id)
    return Subject(None, body.borrower_id, body.org, amount, None)
