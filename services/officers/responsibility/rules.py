"""Loan responsibility rules (spec officers.md O17-O19, O21; seed piece 5, Art. 19-21, 27-30).

Pure: plain data in, decisions out; no clock, no database. Money is `Decimal` yuan; a part's
balance is rounded once to the fen (ROUND_HALF_UP) and the other part takes the remainder, so
the parts always add up to the loan's balance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.officers.kernel.rules import RuleError
from shared.org import ancestors

FEN = Decimal("0.01")
ZERO = Decimal(0)
OFFICE_HEAD = "office_head"


class AssignmentKind(StrEnum):
    """O17: why a management responsible officer is (re)assigned."""

    YEAR_START = "year_start"
    POST_CHANGE = "post_change"
    HANDOVER = "handover"


class RefinanceCase(StrEnum):
    """O19 / Art. 30: the five approved kinds of refinancing (收旧贷新)."""

    # 1. the borrowing unit (former township / village / collective firm) faces closure,
    #    bankruptcy or restructuring; the debt is re-secured
    FAILING_ENTERPRISE = "failing_enterprise"
    # 2. the borrower is old, infirm or unable to work, without assets; the debt moves to
    #    another able person or the borrower's children
    DEBT_TRANSFERRED = "debt_transferred"
    # 3. the principal cannot be repaid now but the interest is paid each year; renewed with
    #    better security than before
    INTEREST_SERVICED_BETTER_SECURITY = "interest_serviced_better_security"
    # 4. still owes, but the business is sound and needs working capital; renewed with better
    #    security than before
    SOUND_BUSINESS_BETTER_SECURITY = "sound_business_better_security"
    # 5. others that help secure the debt or spread / reduce the risk
    OTHER_SECURES_DEBT = "other_secures_debt"


class Departure(StrEnum):
    """O17 / Art. 19: why the original first responsible officer is gone."""

    RETIRED = "retired"
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class Effective:
    """O17 / Art. 27: who bears management responsibility for a loan now."""

    officer_id: str | None
    fallback: str | None
    head_of: str | None


def effective_management(
    management_responsible: str | None, org_id: str, heads: Mapping[str, str]
) -> Effective:
    """O17 / Art. 27: the management responsible officer, else the head of the loan's office
    (the nearest node up the tree that has a head); None when no node has one."""
    if management_responsible is not None:
        return Effective(management_responsible, None, None)
    for node in ancestors(org_id):
        head = heads.get(node)
        if head is not None:
            return Effective(head, OFFICE_HEAD, node)
    return Effective(None, OFFICE_HEAD, None)


def check_acceptance(assignee: str, signer: str) -> None:
    """O17: only the assigned officer signs to accept a management responsibility."""
    if assignee != signer:
        raise RuleError(
            "O17", f"the assignment is to officer {assignee}; {signer} cannot sign to accept it"
        )


@dataclass(frozen=True)
class Part:
    """O19: one part of a refinanced loan and its first responsible officer."""

    part: str
    amount: Decimal
    first_responsible: str | None


def plan_refinance(
    *,
    loan_amount: Decimal,
    old_principal: Decimal,
    old_interest: Decimal,
    new_amount: Decimal,
    original_officer: str | None,
    handling_officer: str,
) -> tuple[Part, Part]:
    """O19: the old part (old principal and interest, the original first responsible officer)
    and the new part (newly added amount, the handling officer); they make up the loan."""
    old = old_principal + old_interest
    if old <= 0:
        raise RuleError(
            "O19", "the old principal and interest must be above 0", field="/old_principal"
        )
    if old + new_amount != loan_amount:
        raise RuleError(
            "O19",
            f"old principal {old_principal} + old interest {old_interest} + new amount "
            f"{new_amount} must equal the loan amount {loan_amount}",
            field="/new_amount",
        )
    return Part("old", old, original_officer), Part("new", new_amount, handling_officer)


def part_balances(balance: Decimal, amounts: Sequence[Decimal]) -> list[Decimal]:
    """O19: a refinanced loan's balance split pro rata over its parts' amounts; every part but
    the last rounded to the fen, the last takes the remainder."""
    total = sum(amounts, ZERO)
    if total <= 0:
        return [ZERO for _ in amounts]
    out = [(balance * a / total).quantize(FEN, rounding=ROUND_HALF_UP) for a in amounts[:-1]]
    return [*out, balance - sum(out, ZERO)]


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February -> 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Limitation:
    """O21: when a loan's limitation period started, why, and when it ends."""

    start: date
    basis: str
    end: date


def limitation(
    *, last_interruption: date | None, overdue_since: date | None, maturity: date, years: int
) -> Limitation:
    """O21: the period runs `years` (default 3) from the last collection notice or
    interruption; without one, from the first missed due date, else from maturity."""
    if last_interruption is not None:
        start, basis = last_interruption, "last collection notice or interruption"
    elif overdue_since is not None and overdue_since < maturity:
        start, basis = overdue_since, "first missed due date"
    else:
        start, basis = maturity, "maturity"
    return Limitation(start, basis, add_years(start, years))


@dataclass(frozen=True)
class WatchEntry:
    """O21: one loan on the watch list."""

    loan_id: str
    limitation: Limitation
    days_left: int
    lapsed: bool


def watch(loan_id: str, period: Limitation, *, on: date, within_days: int) -> WatchEntry | None:
    """O21: on the list when the limitation ends within `within_days` of `on` (default 90);
    one already lapsed stays on the list, marked `lapsed`."""
    if period.end > on + timedelta(days=within_days):
        return None
    left = (period.end - on).days
    return WatchEntry(loan_id, period, left, left < 0)


@dataclass(frozen=True)
class HandoverItemState:
    """O18: what completion looks at for one loan of a handover list."""

    loan_id: str
    npl: bool
    confirmed: bool
    new_officer: str | None
    accepted: bool


def handover_blockers(leaving: str, items: Sequence[HandoverItemState]) -> list[str]:
    """O18: why a handover cannot complete yet (empty: it can): every loan needs a new
    management responsible officer who signed to accept, every NPL a confirmed date."""
    out: list[str] = []
    for item in items:
        if item.new_officer is None or item.new_officer == leaving:
            out.append(f"{item.loan_id}: no new management responsible officer")
        elif not item.accepted:
            out.append(f"{item.loan_id}: {item.new_officer} has not signed to accept")
        if item.npl and not item.confirmed:
            out.append(f"{item.loan_id}: NPL without a confirmed collection / interruption date")
    return out
