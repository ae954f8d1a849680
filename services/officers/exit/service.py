"""Exit evaluation (O24) with its rule texts, the officer's stored exit facts, and pay after
exit (O27-O29) quarter by quarter: load (store) -> decide (liability.py, tolerance.py).

`exit_conditions` is pure; it agrees with `liability.rules.evaluate_exit` (same tests on both) and
adds, for every condition, whether it holds, its rule text and where the fact came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.certification.rules import ReviewResult
from services.officers.certification.schemas import ExamKind
from services.officers.exit.schemas import (
    PayComputeIn,
    PayQuarterRead,
    PayRead,
    PayYearRead,
    VintageRecordIn,
)
from services.officers.funds import service as funds_service
from services.officers.funds.rules import Move, MovementKind, plan_deduction
from services.officers.kernel.vocabulary import Gender
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.rules import ExitFacts, exit_age_date
from services.officers.liability.tolerance import (
    Quarter,
    exit_year_performance,
    fen,
    over_ratio,
    over_tolerance_pay,
    over_tolerance_share,
)
from services.officers.liability.vintage import Status, VintageLoan, vintage_buyout
from services.officers.models.exit import VintageBuyout
from services.officers.models.grading import OfficerGrade
from services.officers.models.people import Exam, ExamResult, Officer, QualificationReview
from shared.paging import keyset

ZERO = Decimal(0)
FEN = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")  # the stored rate's scale (the amount is computed exactly)
MONTHS_PER_QUARTER = 3


@dataclass(frozen=True)
class Condition:
    """One O24 condition: whether it holds, the rule text, the detail and the fact's source."""

    condition: str
    holds: bool
    rule: str
    detail: str
    source: str = "body"


def exit_conditions(
    facts: ExitFacts, on: date, policy: LiabilityPolicy, sources: dict[str, str] | None = None
) -> list[Condition]:
    """O24: every exit condition on `on`, each with its rule text (any one holding: exit)."""
    src = sources or {}
    limit = exit_age_date(facts.gender, facts.birth_date, policy)
    score = facts.score
    above_age = on > limit
    rows = [
        Condition(
            "score",
            score is not None and score < policy.exit_min_score,
            f"O24: score below {policy.exit_min_score}",
            "no score recorded" if score is None else f"score {score}",
        ),
        Condition(
            "failed_exams",
            facts.failed_exams_in_row >= policy.exit_failed_exams_in_row,
            f"O24: failed the qualification exam {policy.exit_failed_exams_in_row} times in a row",
            f"{facts.failed_exams_in_row} failed in a row",
        ),
        Condition(
            "sub_branch_unqualified",
            facts.sub_branch_unqualified,
            "O24: sub-branch appraisal unqualified",
            "unqualified" if facts.sub_branch_unqualified else "not unqualified",
        ),
        Condition(
            "review_unqualified",
            facts.review_unqualified,
            "O24: head-office review unqualified (O3)",
            "unqualified" if facts.review_unqualified else "not unqualified",
        ),
        Condition(
            "age",
            above_age and not facts.age_extended,
            f"O24: age above {policy.exit_age_men} for men or {policy.exit_age_women} for women "
            "(the head office may extend for excellent officers)",
            f"{facts.gender.value}, exit age reached on {limit.isoformat()}"
            + ("; extended by the head office" if above_age and facts.age_extended else ""),
        ),
        Condition("illness", facts.illness, "O24: illness", "ill" if facts.illness else "no"),
        Condition(
            "major_violation",
            facts.major_violation,
            "O24: a major violation",
            "recorded" if facts.major_violation else "none",
        ),
    ]
    return [
        Condition(c.condition, c.holds, c.rule, c.detail, src.get(c.condition, "body"))
        for c in rows
    ]


@dataclass(frozen=True)
class StoredFacts:
    score: Decimal | None
    score_source: str
    failed_in_row: int
    exams_source: str
    review_unqualified: bool
    review_source: str


async def stored_facts(session: AsyncSession, officer: Officer, on: date) -> StoredFacts:
    """O24 facts kept by the service up to `on`: the latest approved grading score (O15), the
    qualification exams failed in a row (O1) and the latest annual review (O3)."""
    grade = (
        await session.scalars(
            select(OfficerGrade)
            .where(OfficerGrade.officer_id == officer.id, OfficerGrade.approved_on <= on)
            .order_by(OfficerGrade.year.desc())
            .limit(1)
        )
    ).first()
    exams = list(
        await session.scalars(
            select(ExamResult.passed)
            .join(Exam, Exam.id == ExamResult.exam_id)
            .where(
                ExamResult.officer_id == officer.id,
                Exam.kind == ExamKind.QUALIFICATION.value,
                Exam.held_on <= on,
            )
            .order_by(Exam.held_on.desc())
        )
    )
    failed = 0
    for passed in exams:
        if passed:
            break
        failed += 1
    review = (
        await session.scalars(
            select(QualificationReview)
            .where(
                QualificationReview.officer_id == officer.id, QualificationReview.reviewed_on <= on
            )
            .order_by(QualificationReview.year.desc())
            .limit(1)
        )
    ).first()
    return StoredFacts(
        score=None if grade is None else grade.score,
        score_source="not_recorded" if grade is None else f"stored: grading {grade.year}",
        failed_in_row=failed,
        exams_source=f"stored: {len(exams)} qualification exams" if exams else "not_recorded",
        review_unqualified=review is not None and review.result == ReviewResult.UNQUALIFIED.value,
        review_source="not_recorded" if review is None else f"stored: review {review.year}",
    )


def officer_gender(officer: Officer) -> Gender:
    """The stored gender as O24 reads it."""
    return Gender(officer.gender)


def _years(body: PayComputeIn) -> list[PayYearRead]:
    out: list[PayYearRead] = []
    for y in body.years:
        after = y.year - body.exit_year
        pay = exit_year_performance(
            after,
            officer_rules_pay=y.officer_rules_pay,
            teller_average=y.teller_average,
            interest_income_pay=y.interest_income_pay,
            new_post_pay=y.new_post_pay,
        )
        rule = (
            "O27: year of exit: officer-rules performance, not below the teller average"
            if after == 0
            else "O27: next year: the higher of interest-income and new-post performance"
            if after == 1
            else "O27: later years: the new post's performance"
        )
        out.append(
            PayYearRead(year=y.year, years_after_exit=after, performance=fen(pay), rule=rule)
        )
    return out


def pay_after_exit(body: PayComputeIn, policy: LiabilityPolicy) -> PayRead:
    """O27 by year; O28 (within tolerance) or O29 (over) coefficient and quarterly pay."""
    within: bool | None = None
    ratio: Decimal | None = None
    share: Decimal | None = None
    coefficient: Decimal | None = None
    coefficient_rule: str | None = None
    quarters: list[PayQuarterRead] = []
    if body.tolerance is not None and body.npl_balance is not None:
        within = body.npl_balance <= body.tolerance
        ratio = over_ratio(body.npl_balance, body.tolerance)
        if within:
            coefficient = body.exit_grade_coefficient
            coefficient_rule = "O28: within tolerance: the grade coefficient at exit"
            quarters = _within_quarters(body)
        else:
            share = over_tolerance_share(ratio, policy)
            coefficient = body.teller_average_coefficient
            coefficient_rule = "O29: over tolerance: the teller average coefficient"
            quarters = _over_quarters(body, ratio, policy)
    return PayRead(
        exit_year=body.exit_year,
        years=_years(body),
        within_tolerance=within,
        over_ratio=None if ratio is None else ratio.quantize(Decimal("0.0001")),
        share=share,
        salary_coefficient=coefficient,
        coefficient_rule=coefficient_rule,
        quarters=quarters,
        total_advance=sum((q.advance for q in quarters), ZERO),
        total_performance=sum((q.performance for q in quarters), ZERO),
    )


def _within_quarters(body: PayComputeIn) -> list[PayQuarterRead]:
    """O28: the teller average business-volume performance, advances included, every quarter."""
    out = []
    for i, q in enumerate(body.quarters, start=1):
        advance = fen(q.teller_monthly_advance * MONTHS_PER_QUARTER)
        perf = fen(q.teller_volume_performance)
        out.append(
            PayQuarterRead(
                index=i,
                target_met=q.collected >= q.target,
                months_advanced=MONTHS_PER_QUARTER,
                advance=advance,
                performance=perf,
                total=advance + perf,
                reasons=["O28: within tolerance: teller average performance and advances"],
            )
        )
    return out


def _over_quarters(
    body: PayComputeIn, ratio: Decimal | None, policy: LiabilityPolicy
) -> list[PayQuarterRead]:
    """O29 via `over_tolerance_pay`: advances only after a met quarter, never paid back."""
    quarters = [
        Quarter(
            q.target,
            q.collected,
            q.teller_monthly_advance * MONTHS_PER_QUARTER,
            q.teller_volume_performance,
        )
        for q in body.quarters
    ]
    pays = over_tolerance_pay(
        quarters, ratio=ratio, policy=policy, previous_quarter_met=body.previous_quarter_met
    )
    out = []
    met_before = body.previous_quarter_met
    for p in pays:
        advance, perf = fen(p.advance), fen(p.performance)
        out.append(
            PayQuarterRead(
                index=p.index,
                target_met=p.target_met,
                months_advanced=MONTHS_PER_QUARTER if met_before else 0,
                advance=advance,
                performance=perf,
                total=advance + perf,
                reasons=[f"O29: {r}" for r in p.reasons],
            )
        )
        met_before = p.target_met
    return out


RECORDED = frozenset({Status.DUE, Status.FULL_BUYOUT, Status.FULL_COMPENSATION})


@dataclass(frozen=True)
class VintagePosted:
    rows: list[VintageBuyout]
    skipped: list[tuple[str, str, str]]
    replayed: bool


async def record_vintage(
    session: AsyncSession,
    *,
    officer_id: str,
    body: VintageRecordIn,
    policy: LiabilityPolicy,
    by: str,
) -> VintagePosted:
    """O32 stored, once per operation id: loans bought out before count as already bought
    out; each due / full buy-out / full compensation is recorded with its payer and who gets
    the recoveries; the officer's own amounts are deducted (risk fund, post deposit, then a
    shortfall carried forward: O30) through the one posting path, `funds.service.write`."""
    await funds_service.lock_officer(session, officer_id)
    request = body.model_dump(mode="json")
    replay = await funds_service.find_operation(session, officer_id, body.operation_id, request)
    if replay is not None:
        rows = await vintage_rows(session, officer_id, operation_id=body.operation_id)
        done = {r.loan_id for r in rows}
        skipped = [
            (x.loan_id, "not_recorded", "O32: not bought out by this operation")
            for x in body.loans
            if x.loan_id not in done
        ]
        return VintagePosted(rows, skipped, True)
    ids = [x.loan_id for x in body.loans]
    known = set(
        await session.scalars(select(VintageBuyout.loan_id).where(VintageBuyout.loan_id.in_(ids)))
    )
    loans = [
        VintageLoan(
            **x.model_dump(), first_responsible=officer_id, already_bought_out=x.loan_id in known
        )
        for x in body.loans
    ]
    result = vintage_buyout(
        loans, year=body.year, full_buyout=body.full_buyout_consent, policy=policy
    )
    current = await funds_service.balances(session, officer_id)
    moves: list[Move] = []
    chosen = []
    skipped = []
    for loan, d in zip(loans, result.loans, strict=True):
        if d.status not in RECORDED or d.payer_id is None or d.amount <= 0:
            skipped.append((d.loan_id, d.status.value, d.rule))
            continue
        chosen.append((loan, d))
        if d.payer_id == officer_id:
            planned = plan_deduction(current, d.amount, d.loan_id)
            for m in planned:
                current[m.account] = current[m.account] + m.amount
            moves += planned
    await funds_service.write(
        session,
        officer_id=officer_id,
        operation_id=body.operation_id,
        kind=MovementKind.DEDUCTION,
        request=request,
        moves=moves,
        on=body.on,
        reference=f"O32 buy-out {body.year}",
        by=by,
    )
    rows = [
        VintageBuyout(
            loan_id=d.loan_id,
            officer_id=officer_id,
            operation_id=body.operation_id,
            year=body.year,
            vintage=d.vintage,
            status=d.status.value,
            payer=d.payer.value,
            payer_id=d.payer_id,
            balance=loan.balance.quantize(FEN),
            rate=d.rate.quantize(RATE_PLACES),
            amount=d.amount,
            recoveries_to=d.recoveries_to,
            rule=d.rule[:400],
            on=body.on,
            recorded_by=by,
        )
        for loan, d in chosen
    ]
    session.add_all(rows)
    await session.flush()
    return VintagePosted(rows, skipped, False)


async def vintage_page(
    session: AsyncSession, officer_id: str, *, limit: int, cursor: str | None
) -> Sequence[VintageBuyout]:
    """O32: a page (up to `limit + 1` rows) of the officer's recorded buy-outs, by loan id."""
    stmt = select(VintageBuyout).where(VintageBuyout.officer_id == officer_id)
    order = [(VintageBuyout.loan_id, False)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()


async def vintage_rows(
    session: AsyncSession, officer_id: str, *, operation_id: str | None = None
) -> list[VintageBuyout]:
    """O32: the officer's recorded buy-outs (of one operation), by loan id."""
    stmt = select(VintageBuyout).where(VintageBuyout.officer_id == officer_id)
    if operation_id is not None:
        stmt = stmt.where(VintageBuyout.operation_id == operation_id)
    return list(await session.scalars(stmt.order_by(VintageBuyout.loan_id)))
