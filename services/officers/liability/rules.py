"""NPL counting, county elimination, exit evaluation and the age-exit transition
(spec officers.md O22-O25; seed piece 5, Art. 39-46).

Pure: plain data in, decisions out; no clock, no database. Money is `Decimal` yuan, exact in
the computations; these rules only sum and compare balances, so nothing is rounded here except
the O25 milestone ceilings, rounded once to the fen with ROUND_HALF_UP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.officers.kernel.money import FEN, ZERO
from services.officers.kernel.vocabulary import (
    NPL_CLASSES,
    SECURED_BY_ASSET,
    Gender,
    LoanState,
)
from services.officers.liability.policy import LiabilityPolicy


@dataclass(frozen=True)
class NplCount:
    """O22 verdict for one loan: counted or not, and why."""

    loan_id: str
    counted: bool
    balance: Decimal
    reason: str


def count_npl(loan: LoanState, policy: LiabilityPolicy) -> NplCount:
    """O22: bottom-three classes and loans overdue more than a year count; a mortgage or
    pledge loan overdue at most a year and in disposal does not."""
    limit = policy.npl_overdue_days
    if (
        loan.collateral in SECURED_BY_ASSET
        and loan.in_disposal
        and loan.overdue_days <= policy.disposal_grace_days
    ):
        return NplCount(
            loan.loan_id,
            False,
            loan.balance,
            f"{loan.collateral.value} loan in disposal, overdue {loan.overdue_days} days "
            f"(<= {policy.disposal_grace_days}): not counted",
        )
    if loan.overdue_days > limit:
        return NplCount(
            loan.loan_id, True, loan.balance, f"overdue {loan.overdue_days} days (> {limit})"
        )
    if loan.loan_class in NPL_CLASSES:
        return NplCount(loan.loan_id, True, loan.balance, f"class {loan.loan_class.value}")
    return NplCount(loan.loan_id, False, loan.balance, f"class {loan.loan_class.value}")


def responsible_npl_balance(loans: Iterable[LoanState], policy: LiabilityPolicy) -> Decimal:
    """O22: the officer's responsible NPL balance (sum over the counted loans)."""
    counts = (count_npl(loan, policy) for loan in loans)
    return sum((c.balance for c in counts if c.counted), ZERO)


@dataclass(frozen=True)
class CountyEntry:
    officer_id: str
    county: str
    npl_balance: Decimal


@dataclass(frozen=True)
class EliminationResult:
    """O23 outcome for one officer: rank in the county (1 = largest NPL balance)."""

    officer_id: str
    county: str
    npl_balance: Decimal
    rank: int
    collection_duty: bool
    yellow_card: bool
    reasons: tuple[str, ...]


def eliminate(entries: Sequence[CountyEntry], policy: LiabilityPolicy) -> list[EliminationResult]:
    """O23: rank officers per county by responsible NPL balance, largest first; the largest
    `bottom_count` (officers tied with the last one included; a zero balance never) go to
    collection duty; a balance above `yellow_card_balance` earns a yellow card."""
    by_county: dict[str, list[CountyEntry]] = {}
    for e in entries:
        by_county.setdefault(e.county, []).append(e)
    out: list[EliminationResult] = []
    for county in sorted(by_county):
        ranked = sorted(by_county[county], key=lambda e: (-e.npl_balance, e.officer_id))
        cut = ranked[min(policy.bottom_count, len(ranked)) - 1].npl_balance
        rank = 0
        previous: Decimal | None = None
        for position, e in enumerate(ranked, start=1):
            if e.npl_balance != previous:
                rank, previous = position, e.npl_balance
            duty = e.npl_balance >= cut and e.npl_balance > 0
            yellow = e.npl_balance > policy.yellow_card_balance
            reasons: list[str] = []
            if duty:
                reasons.append(
                    f"O23: rank {rank} of {len(ranked)} in {county}, among the largest "
                    f"{policy.bottom_count}: collection duty and a collection plan"
                )
            if yellow:
                reasons.append(
                    f"O23: balance {e.npl_balance} above {policy.yellow_card_balance}: "
                    "yellow card and a collection plan"
                )
            out.append(
                EliminationResult(
                    e.officer_id, county, e.npl_balance, rank, duty, yellow, tuple(reasons)
                )
            )
    return out


@dataclass(frozen=True)
class ExitFacts:
    """What O24 looks at for one officer on a date."""

    score: Decimal | None
    failed_exams_in_row: int
    sub_branch_unqualified: bool
    review_unqualified: bool
    gender: Gender
    birth_date: date
    age_extended: bool = False
    illness: bool = False
    major_violation: bool = False


def _birthday(birth: date, years: int) -> date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February in a common year
        return date(birth.year + years, 3, 1)


def exit_age_date(gender: Gender, birth_date: date, policy: LiabilityPolicy) -> date:
    """O24: the birthday of the exit age (55 men, 45 women by default); the age condition
    holds from the day after it ("above 55")."""
    age = policy.exit_age_men if gender is Gender.MALE else policy.exit_age_women
    return _birthday(birth_date, age)


def evaluate_exit(facts: ExitFacts, on: date, policy: LiabilityPolicy) -> tuple[str, ...]:
    """O24: the exit conditions that hold on `on` (empty: the officer stays)."""
    held: list[str] = []
    if facts.score is not None and facts.score < policy.exit_min_score:
        held.append(f"score {facts.score} below {policy.exit_min_score}")
    if facts.failed_exams_in_row >= policy.exit_failed_exams_in_row:
        held.append(f"failed the qualification exam {facts.failed_exams_in_row} times in a row")
    if facts.sub_branch_unqualified:
        held.append("sub-branch appraisal unqualified")
    if facts.review_unqualified:
        held.append("head-office review unqualified (O3)")
    limit = exit_age_date(facts.gender, facts.birth_date, policy)
    if on > limit and not facts.age_extended:
        held.append(f"above the exit age since {limit.isoformat()}")
    if facts.illness:
        held.append("illness")
    if facts.major_violation:
        held.append("major violation")
    return tuple(held)


@dataclass(frozen=True)
class Milestone:
    """O25: by `deadline` the first-responsible book must be at most `ceiling`."""

    year: int
    deadline: date
    ceiling: Decimal


@dataclass(frozen=True)
class Transition:
    """O25 plan of an age exit: yearly ceilings, the end of lending and of the post wait."""

    start: date
    book: Decimal
    milestones: tuple[Milestone, ...]
    lending_stops: date
    collection_from: date


def transition_plan(start: date, book: Decimal, policy: LiabilityPolicy) -> Transition:
    """O25: the book shrinks by `transition_shrink_factor` each year of the transition
    (default: half, then a quarter of the starting book); lending stops when it ends; no post
    after `no_post_collection_years` means full-time collection from then."""
    milestones = []
    ceiling = book
    for year in range(1, policy.transition_years + 1):
        ceiling = ceiling * policy.transition_shrink_factor
        milestones.append(
            Milestone(year, _birthday(start, year), ceiling.quantize(FEN, rounding=ROUND_HALF_UP))
        )
    return Transition(
        start,
        book,
        tuple(milestones),
        _birthday(start, policy.transition_years),
        _birthday(start, policy.no_post_collection_years),
    )


def milestones_met(plan: Transition, balances: Sequence[Decimal]) -> tuple[bool, ...]:
    """O25: for each milestone reached so far (balances at the deadlines, in order), whether
    the book was at or under its ceiling."""
    return tuple(b <= m.ceiling for m, b in zip(plan.milestones, balances, strict=False))


def may_lend(plan: Transition, on: date) -> bool:
    """O25: the exiting officer may still issue loans only before the transition ends."""
    return on < plan.lending_stops
