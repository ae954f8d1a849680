"""Yearly vintage buy-out of first-responsible NPLs (spec officers.md O32; seed piece 5,
Art. 36-38).

Pure: no clock, no database. Money is `Decimal` yuan: each loan's amount is computed exactly
and rounded once to the fen with ROUND_HALF_UP; totals are sums of those rounded amounts.

Who pays what, per loan, first match wins:
1. a loan to an employee's direct relative cannot be bought out: the responsible person (the
   introducer when there is one, else the first responsible officer) compensates in full;
2. a loan introduced or guaranteed by an employee and made from 2008-01-01: the introducer
   compensates 100 %;
3. formed before 1999: outside these rules;
4. already bought out: nothing more;
5. the officer's full buy-out (consent given): every loan of its own (not an introducer's) at
   the full-buy-out rate (100 %), recoveries then belong to the officer;
6. a vintage is due in year Y when formed in Y-11 or earlier: the rate of its age (policy table);
   an introduced or guaranteed loan made 1999-2007 is assessed on the introducer, not the first
   responsible officer;
7. otherwise not yet due (the year it becomes due is given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.tolerance import fen

ZERO = Decimal(0)


class Status(StrEnum):
    DUE = "due"
    FULL_BUYOUT = "full_buyout"
    FULL_COMPENSATION = "full_compensation"
    NOT_YET_DUE = "not_yet_due"
    NOT_COVERED = "not_covered"
    ALREADY_BOUGHT_OUT = "already_bought_out"


class Payer(StrEnum):
    FIRST_RESPONSIBLE = "first_responsible"
    INTRODUCER = "introducer"
    NONE = "none"


@dataclass(frozen=True)
class VintageLoan:
    """A first-responsible NPL as O32 needs it. `formed_year` is the year it became an NPL
    (its vintage); `introduced_by` the employee who introduced or guaranteed it."""

    loan_id: str
    balance: Decimal
    loan_date: date
    formed_year: int
    first_responsible: str
    relative_of_employee: bool = False
    introduced_by: str | None = None
    already_bought_out: bool = False


@dataclass(frozen=True)
class VintageDecision:
    """O32 verdict of one loan: status, who pays, the rate, the amount (fen) and why."""

    loan_id: str
    vintage: int
    age: int
    status: Status
    payer: Payer
    payer_id: str | None
    rate: Decimal
    amount: Decimal
    recoveries_to: str  # "bank", or the buyer's id after a full buy-out
    due_year: int
    rule: str


@dataclass(frozen=True)
class VintageResult:
    year: int
    due_vintage: int
    loans: tuple[VintageDecision, ...]
    total: Decimal
    by_payer: tuple[tuple[str, Decimal], ...]


def due_vintage(year: int, policy: LiabilityPolicy) -> int:
    """O32: the vintage year Y buys out (default Y-11: 2012 buys out 2001)."""
    return year - policy.vintage_offset_years


def age_rate(age: int, policy: LiabilityPolicy) -> Decimal:
    """O32: the rate of the largest age in the policy table not above `age` (rising with age;
    an age below the table takes its first rate)."""
    rate = policy.vintage_rates[0][1]
    for table_age, table_rate in policy.vintage_rates:
        if table_age <= age:
            rate = table_rate
    return rate


def decide(
    loan: VintageLoan, *, year: int, full_buyout: bool, policy: LiabilityPolicy
) -> VintageDecision:
    """O32: who pays what for one loan in buy-out year `year`, and by which rule."""
    age = year - loan.formed_year
    due_year = loan.formed_year + policy.vintage_offset_years
    responsible = loan.introduced_by or loan.first_responsible
    payer = Payer.INTRODUCER if loan.introduced_by else Payer.FIRST_RESPONSIBLE

    def answer(
        status: Status, who: Payer, who_id: str | None, rate: Decimal, rule: str
    ) -> VintageDecision:
        buyer = who_id if status is Status.FULL_BUYOUT else None
        return VintageDecision(
            loan_id=loan.loan_id,
            vintage=loan.formed_year,
            age=age,
            status=status,
            payer=who,
            payer_id=who_id,
            rate=rate,
            amount=fen(loan.balance * rate),
            recoveries_to=buyer or "bank",
            due_year=due_year,
            rule=rule,
        )

    if loan.relative_of_employee:
        return answer(
            Status.FULL_COMPENSATION,
            payer,
            responsible,
            policy.relative_compensation_rate,
            "O32: loan to an employee's direct relative cannot be bought out: the responsible "
            "person compensates in full",
        )
    full_from = date(policy.introducer_full_from_year, 1, 1)
    if loan.introduced_by and loan.loan_date >= full_from:
        return answer(
            Status.FULL_COMPENSATION,
            Payer.INTRODUCER,
            loan.introduced_by,
            policy.introducer_full_rate,
            f"O32: introduced or guaranteed by an employee on or after {full_from.isoformat()}: "
            "the introducer compensates 100 %",
        )
    if loan.formed_year < policy.vintage_first_year:
        return answer(
            Status.NOT_COVERED,
            Payer.NONE,
            None,
            ZERO,
            f"O32: formed {loan.formed_year}, before {policy.vintage_first_year}: not covered",
        )
    if loan.already_bought_out:
        return answer(Status.ALREADY_BOUGHT_OUT, Payer.NONE, None, ZERO, "O32: already bought out")
    who_note = (
        f"; introduced or guaranteed before {full_from.isoformat()}: assessed on the "
        "introducer, not the first responsible officer"
        if loan.introduced_by
        else ""
    )
    if full_buyout and not loan.introduced_by:
        return answer(
            Status.FULL_BUYOUT,
            payer,
            responsible,
            policy.vintage_full_buyout_rate,
            "O32: full buy-out with the bank's consent: recoveries belong to the officer",
        )
    if loan.formed_year <= due_vintage(year, policy):
        rate = age_rate(age, policy)
        return answer(
            Status.DUE,
            payer,
            responsible,
            rate,
            f"O32: vintage {loan.formed_year} due since {due_year} (year Y buys out Y-"
            f"{policy.vintage_offset_years}); age {age}: rate {rate}" + who_note,
        )
    return answer(
        Status.NOT_YET_DUE,
        Payer.NONE,
        None,
        ZERO,
        f"O32: vintage {loan.formed_year} becomes buy-out-able in {due_year}",
    )


def vintage_buyout(
    loans: Sequence[VintageLoan], *, year: int, full_buyout: bool, policy: LiabilityPolicy
) -> VintageResult:
    """O32: every loan's decision (in the order given), the total and the total per payer."""
    decisions = tuple(
        decide(loan, year=year, full_buyout=full_buyout, policy=policy) for loan in loans
    )
    per: dict[str, Decimal] = {}
    for d in decisions:
        if d.payer_id is not None and d.amount > 0:
            per[d.payer_id] = per.get(d.payer_id, ZERO) + d.amount
    return VintageResult(
        year=year,
        due_vintage=due_vintage(year, policy),
        loans=decisions,
        total=sum((d.amount for d in decisions), ZERO),
        by_payer=tuple(sorted(per.items())),
    )
