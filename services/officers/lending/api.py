"""Routes of the borrower register and the O20 lending restrictions: borrowers (household,
lawsuit, interest on hold, employee links), the what-if check of a proposed loan, the creation
of a checked loan in the ledger, and the restrictions a ledger loan broke."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.officers.collection import service as collection_service
from services.officers.deps import (
    LoanId,
    RuleRoute,
    StaffDep,
    TodayDep,
    now_utc,
    rule,
    visible_loan,
)
from services.officers.kernel import policies
from services.officers.ledger.api import loan_read
from services.officers.lending import service as lending_service
from services.officers.lending.rules import FamilyGuarantee, ProposedLoan, Violation
from services.officers.lending.schemas import (
    BorrowerIn,
    BorrowerRead,
    CheckIn,
    CheckRead,
    FlagRead,
    LoanCreate,
    LoanCreated,
    LoanTermsIn,
    ViolationRead,
)
from services.officers.models.borrowers import Borrower, LoanTerms
from services.officers.models.ledger import LedgerLoan, LoanResponsibility
from services.officers.org import store
from shared.auth import Caller, Forbidden, ReaderDep, Role, allow
from shared.db import SessionDep
from shared.errors import Conflict, InvalidInput, NotFound
from shared.openapi import also

router = APIRouter(prefix="/v1", route_class=RuleRoute)
RegisterDep = Annotated[Caller, Depends(allow(Role.BRANCH, Role.HEAD_OFFICE, Role.RISK))]


async def _borrower_read(session: SessionDep, b: Borrower) -> BorrowerRead:
    held = await lending_service.household_on_hold(session, b)
    fields = {k: getattr(b, k) for k in BorrowerIn.model_fields}
    return BorrowerRead(
        borrower_id=b.borrower_id, household_on_hold=list(held), updated_by=b.updated_by, **fields
    )


def _validate_register(body: BorrowerIn) -> None:
    if body.sued and body.sued_on is None:
        raise InvalidInput("O20: a sued borrower needs sued_on", pointer="/sued_on", rule="O20")
    if body.relation is not None and body.relative_of is None:
        raise InvalidInput("O20: relation needs relative_of", pointer="/relative_of", rule="O20")


@router.put(
    "/borrowers/{borrower_id}",
    response_model=BorrowerRead,
    responses=also(201, model=BorrowerRead, description="registered for the first time"),
    tags=["lending"],
    openapi_extra=rule("O20"),
)
async def put_borrower(
    session: SessionDep,
    caller: RegisterDep,
    borrower_id: LoanId,
    body: BorrowerIn,
    response: Response,
) -> BorrowerRead:
    """O20: register or update a borrower (lawsuit, interest on hold, household, employee
    links); 201 when new, 200 otherwise (the same body again changes nothing)."""
    _validate_register(body)
    if not caller.sees(body.org_id):
        raise Forbidden(f"G4: /org_id: {body.org_id} is outside your subtree {caller.org}")
    row = await session.get(Borrower, borrower_id)
    if row is not None and not caller.sees(row.org_id):
        raise NotFound(f"borrower {borrower_id} is not registered")
    values = body.model_dump()
    if row is None:
        row = Borrower(borrower_id=borrower_id, updated_by=caller.subject, **values)
        session.add(row)
        response.status_code = 201
    elif any(getattr(row, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(row, k, v)
        row.updated_by, row.updated_at = caller.subject, now_utc()
    await collection_service.flush_or_conflict(session, "O20", f"borrower {borrower_id}")
    return await _borrower_read(session, row)


@router.get("/borrowers/{borrower_id}", response_model=BorrowerRead, tags=["lending"])
async def get_borrower(session: SessionDep, caller: ReaderDep, borrower_id: LoanId) -> BorrowerRead:
    """A registered borrower, with the household members whose interest is on hold."""
    row = await session.get(Borrower, borrower_id)
    if row is None or not caller.sees(row.org_id):
        raise NotFound(f"borrower {borrower_id} is not registered")
    return await _borrower_read(session, row)


def _proposed(body: LoanTermsIn, on: date) -> ProposedLoan:
    return ProposedLoan(
        amount=body.amount,
        collateral=body.collateral,
        on=on,
        family_guarantee=body.family_guarantee,
        proof_ref=body.proof_ref,
        rate=body.rate,
        standard_rate=body.standard_rate,
    )


async def _check(session: SessionDep, caller: Caller, body: LoanTermsIn, on: date) -> CheckRead:
    """Validate the terms the rules need, then run O20/O23."""
    officer = await store.get_officer(session, body.officer_id)
    if officer is None or not caller.sees(officer.org_id):
        raise InvalidInput(
            f"O20: officer {body.officer_id} does not exist", pointer="/officer_id", rule="O20"
        )
    if body.family_guarantee is FamilyGuarantee.NONE_PROVEN and not (body.proof_ref or "").strip():
        raise InvalidInput("O20: none_proven needs proof_ref", pointer="/proof_ref", rule="O20")
    facts = await lending_service.borrower_facts(session, body.borrower_id)
    if facts is not None and facts.employee_id is not None:
        for name in ("rate", "standard_rate"):
            if getattr(body, name) is None:
                raise InvalidInput(
                    f"O20: borrower {body.borrower_id} is an employee: {name} is needed to "
                    "check that the terms are no better than others'",
                    pointer=f"/{name}",
                    rule="O20",
                )
    found = await lending_service.check(
        session, _proposed(body, on), borrower_id=body.borrower_id, officer_id=body.officer_id
    )
    policy = await policies.liability_policy(session, on.year)
    return CheckRead(
        allowed=not found,
        on=on,
        joint_guarantee_min_amount=policy.joint_guarantee_min_amount,
        violations=[_violation(v) for v in found],
    )


def _violation(v: Violation) -> ViolationRead:
    return ViolationRead(rule=v.rule, code=v.code, detail=v.message())


@router.post(
    "/lending/check", response_model=CheckRead, tags=["lending"], openapi_extra=rule("O20")
)
async def check_lending(
    session: SessionDep, caller: ReaderDep, body: CheckIn, today: TodayDep
) -> CheckRead:
    """O20/O23 what-if: may this loan be granted? Stores nothing. The register is bank-wide
    (a borrower sued in another county is still sued)."""
    return await _check(session, caller, body, body.on or today)


@router.post(
    "/loans",
    response_model=LoanCreated,
    status_code=201,
    tags=["lending"],
    openapi_extra=rule("O20"),
)
async def create_loan(
    session: SessionDep, caller: StaffDep, body: LoanCreate, today: TodayDep, response: Response
) -> LoanCreated:
    """O20: a new loan in the ledger, refused (409, rules named) when it breaks a lending
    restriction. The loan id is the client's: the same loan again answers 200."""
    if not caller.sees(body.org):
        raise Forbidden(f"G4: /org: {body.org} is outside your subtree {caller.org}")
    on = body.loan_date or today
    if body.maturity_date <= on:
        raise InvalidInput(
            "O20: maturity_date must be after loan_date", pointer="/maturity_date", rule="O20"
        )
    result = await _check(session, caller, body, on)
    existing = await session.get(LedgerLoan, body.loan_id)
    if existing is not None:
        terms = await session.get(LoanTerms, body.loan_id)
        same = terms is not None and (
            existing.org_id,
            existing.borrower_id,
            existing.amount,
            existing.collateral,
            existing.loan_date,
            existing.maturity_date,
            terms.officer_id,
        ) == (
            body.org,
            body.borrower_id,
            body.amount,
            body.collateral.value,
            on,
            body.maturity_date,
            body.officer_id,
        )
        if not same or not caller.sees(existing.org_id):
            raise Conflict(f"O20: loan {body.loan_id} already exists with other terms")
        response.status_code = 200
        return LoanCreated(
            loan=await loan_read(session, existing, today, history=True), check=result
        )
    if not result.allowed:
        raise Conflict(
            "; ".join(v.detail for v in result.violations),
            errors=[
                {"rule": v.rule, "code": v.code, "detail": v.detail} for v in result.violations
            ],
        )
    manager = body.management_responsible or body.officer_id
    loan = LedgerLoan(
        loan_id=body.loan_id,
        org_id=body.org,
        borrower_id=body.borrower_id,
        amount=body.amount,
        balance=body.amount,
        five_class="normal",
        collateral=body.collateral.value,
        collateral_kind=body.collateral.value,
        loan_date=on,
        maturity_date=body.maturity_date,
        in_disposal=False,
        first_responsible=body.officer_id,
        management_responsible=manager,
    )
    session.add(loan)
    await collection_service.flush_or_conflict(session, "O20", f"loan {body.loan_id}")
    why = f"O17: loan created over HTTP by {caller.subject} after the O20 check"
    for role, officer_id in (("first", body.officer_id), ("management", manager)):
        session.add(
            LoanResponsibility(
                loan_id=body.loan_id,
                role=role,
                officer_id=officer_id,
                start_on=on,
                source="http",
                reason=why,
                recorded_by=caller.subject,
            )
        )
    session.add(
        LoanTerms(
            loan_id=body.loan_id,
            officer_id=body.officer_id,
            family_guarantee=body.family_guarantee.value,
            proof_ref=body.proof_ref,
            rate=body.rate,
            standard_rate=body.standard_rate,
            created_by=caller.subject,
        )
    )
    await collection_service.flush_or_conflict(session, "O20", f"loan {body.loan_id}")
    return LoanCreated(loan=await loan_read(session, loan, today, history=True), check=result)


@router.get("/loans/{loan_id}/restrictions", response_model=list[FlagRead], tags=["lending"])
async def loan_restrictions(
    session: SessionDep, caller: ReaderDep, loan_id: LoanId
) -> list[FlagRead]:
    """O20/O23: the restrictions a ledger loan broke (flagged on loans that arrived by event).
    A plain list (issue 13): one loan's flags, at most one per restriction rule."""
    await visible_loan(session, caller, loan_id)
    return [FlagRead.model_validate(f) for f in await lending_service.flags_of(session, loan_id)]
