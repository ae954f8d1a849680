"""What-if routes of loan liability: NPL tolerance (O22, O26, O29) and the retirement buy-out
(O33-O35). They store nothing; the year's liability policy (overridable in the body) applies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from fastapi import APIRouter

from services.officers.deps import RuleRoute, rule
from services.officers.grading.policy import Post
from services.officers.kernel import policies
from services.officers.kernel.rules import RuleError
from services.officers.kernel.vocabulary import LoanState
from services.officers.liability.buyout import BuyoutLoan, Funds, retirement_buyout, settlement_key
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.rules import count_npl
from services.officers.liability.schemas import (
    BuyoutComputeIn,
    BuyoutLoanRead,
    BuyoutRead,
    IncomeIn,
    ToleranceComputeIn,
    ToleranceLoanRead,
    ToleranceRead,
)
from services.officers.liability.tolerance import (
    IncomeYear,
    Tolerance,
    fen,
    over_ratio,
    over_tolerance_share,
    tolerance,
)
from shared.auth import ReaderDep
from shared.db import SessionDep
from shared.errors import InvalidInput

router = APIRouter(prefix="/v1", route_class=RuleRoute)
ZERO = Decimal(0)


async def whatif_policy(
    session: SessionDep, year: int, overrides: Mapping[str, Any] | None
) -> LiabilityPolicy:
    """The year's liability policy with the body's overrides; 422 names `/policy/<key>`."""
    base = await policies.liability_policy(session, year)
    if not overrides:
        return base
    try:
        return LiabilityPolicy.from_dict(base.to_dict() | dict(overrides))
    except RuleError as exc:
        raise InvalidInput(exc.detail, pointer=f"/policy{exc.field or ''}", rule=exc.rule) from None


def unique_ids(ids: Sequence[str], rule_name: str) -> None:
    """422 naming the first repeated loan id (`/loans/<i>/loan_id`) under `rule_name`."""
    seen: set[str] = set()
    for i, loan_id in enumerate(ids):
        if loan_id in seen:
            raise InvalidInput(
                f"duplicate loan_id {loan_id!r}", pointer=f"/loans/{i}/loan_id", rule=rule_name
            )
        seen.add(loan_id)


def _incomes(rows: Sequence[IncomeIn]) -> dict[int, IncomeYear]:
    out: dict[int, IncomeYear] = {}
    for i, r in enumerate(rows):
        if r.year in out:
            raise InvalidInput(
                f"year {r.year} given twice", pointer=f"/interest_income/{i}/year", rule="O26"
            )
        out[r.year] = IncomeYear(r.natural_person, r.enterprise)
    return out


def _tolerance(
    rows: Sequence[IncomeIn], *, exit_year: int, post: Post, branch_class: int, p: LiabilityPolicy
) -> Tolerance:
    """O26, reduced for sub-branch heads and class-1 (urban) officers."""
    reduced = post is Post.SUB_BRANCH_HEAD or branch_class == 1
    return tolerance(_incomes(rows), exit_year=exit_year, reduced=reduced, policy=p)


@router.post(
    "/tolerance/compute",
    response_model=ToleranceRead,
    tags=["liability"],
    openapi_extra=rule("O26"),
)
async def compute_tolerance(
    session: SessionDep, _caller: ReaderDep, body: ToleranceComputeIn
) -> ToleranceRead:
    """What-if O26: the tolerance over the 3 years before the exit year; the loans counted by
    O22 take it up in O34 settlement order (answered in that order); O29 share when over."""
    unique_ids([x.loan_id for x in body.loans], "O26")
    p = await whatif_policy(session, body.exit_year, body.policy)
    tol = _tolerance(
        body.interest_income,
        exit_year=body.exit_year,
        post=body.post,
        branch_class=body.branch_class,
        p=p,
    )
    remaining = tol.amount
    rows: list[ToleranceLoanRead] = []
    npl = ZERO
    for order, loan in enumerate(sorted(body.loans, key=settlement_key), start=1):
        state = LoanState(
            loan.loan_id,
            loan.balance,
            loan.loan_class,
            loan.overdue_days,
            loan.collateral,
            loan.in_disposal,
        )
        verdict = count_npl(state, p)
        within = above = ZERO
        if verdict.counted:
            npl += loan.balance
            within = min(loan.balance, remaining)
            remaining -= within
            above = loan.balance - within
        rows.append(
            ToleranceLoanRead(
                loan_id=loan.loan_id,
                order=order,
                balance=loan.balance,
                counted=verdict.counted,
                reason=f"O22: {verdict.reason}",
                within_tolerance=fen(within),
                above_tolerance=fen(above),
            )
        )
    ratio = over_ratio(npl, tol.amount)
    return ToleranceRead(
        exit_year=body.exit_year,
        window=list(tol.window),
        missing_years=list(tol.missing_years),
        reduced=tol.reduced,
        natural_person_income=tol.natural_person_income,
        enterprise_income=tol.enterprise_income,
        natural_person_rate=tol.natural_person_rate,
        enterprise_rate=tol.enterprise_rate,
        tolerance=fen(tol.amount),
        npl_balance=npl,
        over_amount=fen(max(npl - tol.amount, ZERO)),
        over_ratio=None if ratio is None else ratio.quantize(Decimal("0.0001")),
        within=npl <= tol.amount,
        over_tolerance_share=ZERO if ratio == 0 else over_tolerance_share(ratio, p),
        loans=rows,
    )


def _buyout_tolerance(body: BuyoutComputeIn, p: LiabilityPolicy) -> Decimal:
    if body.tolerance is not None:
        return body.tolerance
    if body.interest_income is None:
        raise InvalidInput(
            "give either tolerance or interest_income (with branch_class) to compute it",
            pointer="/tolerance",
            rule="O33",
        )
    if body.branch_class is None:
        raise InvalidInput(
            "branch_class is needed to compute the tolerance", pointer="/branch_class", rule="O26"
        )
    return _tolerance(
        body.interest_income,
        exit_year=body.year,
        post=body.post,
        branch_class=body.branch_class,
        p=p,
    ).amount


@router.post(
    "/buyouts/retirement/compute",
    response_model=BuyoutRead,
    tags=["liability"],
    openapi_extra=rule("O33-O35"),
)
async def compute_retirement_buyout(
    session: SessionDep, _caller: ReaderDep, body: BuyoutComputeIn
) -> BuyoutRead:
    """What-if O33-O35: each loan's buy-out amount in O34 settlement order, escrow for
    mortgages in disposal, unmatured loans, and which fund pays (risk fund, post deposit,
    retirement-year performance pay)."""
    unique_ids([x.loan_id for x in body.loans], "O34")
    loans: list[BuyoutLoan] = []
    for i, x in enumerate(body.loans):
        if x.matured and x.formed_year is None:
            raise InvalidInput(
                "a matured NPL needs the year it was formed",
                pointer=f"/loans/{i}/formed_year",
                rule="O33",
            )
        if not x.matured and not x.successor_accepted and x.overdue_year is None:
            raise InvalidInput(
                "an unmatured loan without a successor needs the year it becomes overdue",
                pointer=f"/loans/{i}/overdue_year",
                rule="O35",
            )
        loans.append(BuyoutLoan(**x.model_dump()))
    p = await whatif_policy(session, body.year, body.policy)
    tol = _buyout_tolerance(body, p)
    funds = Funds(body.funds.risk_fund, body.funds.post_deposit, body.funds.performance_pay)
    result = retirement_buyout(loans, tolerance_amount=tol, funds=funds, policy=p)
    return BuyoutRead(
        year=body.year,
        tolerance=fen(tol),
        total=result.total,
        escrow=result.escrow,
        from_risk_fund=result.from_risk_fund,
        from_post_deposit=result.from_post_deposit,
        from_performance_pay=result.from_performance_pay,
        unfunded=result.unfunded,
        loans=[
            BuyoutLoanRead(
                loan_id=x.loan_id,
                order=x.order,
                balance=x.balance,
                vintage=x.vintage,
                disposition=x.disposition.value,
                within_tolerance=fen(x.within_tolerance),
                above_tolerance=fen(x.above_tolerance),
                rate=x.rate,
                amount=x.amount,
                from_risk_fund=x.from_risk_fund,
                from_post_deposit=x.from_post_deposit,
                from_performance_pay=x.from_performance_pay,
                unfunded=x.unfunded,
                reasons=list(x.reasons),
            )
            for x in result.loans
        ],
    )
