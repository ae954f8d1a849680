"""Lending restrictions checked on every new loan (spec officers.md O20, and the O23 bar on
officers on collection duty; seed piece 5, Art. 24, 26, 31, 39).

Pure: plain data in, the list of violated rules out; no clock, no database. A check that
cannot be judged from the data given (an event without the guarantee or the rate) is skipped,
never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.officers.kernel.vocabulary import Collateral


class FamilyGuarantee(StrEnum):
    """O20 (Art. 24): the joint guarantee of a loan at or above the threshold."""

    SPOUSE = "spouse"
    FAMILY_MEMBER = "family_member"
    NONE_PROVEN = "none_proven"  # no spouse or family member, with a proof
    NONE = "none"


GUARANTEE_OK = frozenset({FamilyGuarantee.SPOUSE, FamilyGuarantee.FAMILY_MEMBER})


@dataclass(frozen=True)
class BorrowerFacts:
    """What the register knows of a borrower (and of the other members of its household)."""

    borrower_id: str
    sued: bool = False
    sued_on: date | None = None
    interest_on_hold: bool = False
    household_id: str | None = None
    household_on_hold: tuple[str, ...] = ()  # other members with interest on hold
    employee_id: str | None = None  # the borrower is this employee of the bank
    relative_of: str | None = None  # the borrower is a relative of this employee
    relation: str | None = None


@dataclass(frozen=True)
class OfficerFacts:
    """The issuing officer's O23 collection status on the loan date."""

    officer_id: str
    collection_duty: bool = False
    duty_year: int | None = None
    off_post_collection: bool = False


@dataclass(frozen=True)
class ProposedLoan:
    """A new loan. `family_guarantee`, `rate` and `standard_rate` are None when unknown
    (a disbursement event carries none of them): those checks are then skipped."""

    amount: Decimal
    collateral: Collateral
    on: date
    family_guarantee: FamilyGuarantee | None = None
    proof_ref: str | None = None
    rate: Decimal | None = None
    standard_rate: Decimal | None = None


@dataclass(frozen=True)
class Violation:
    """One refused rule: `rule` (O20/O23), a stable `code` and the reason."""

    rule: str
    code: str
    detail: str

    def message(self) -> str:
        """The rule-first text of a refusal (`O20: borrower sued ...`)."""
        return f"{self.rule}: {self.detail}"


def _borrower_rules(loan: ProposedLoan, b: BorrowerFacts, *, unsecured: bool) -> list[Violation]:
    out: list[Violation] = []
    if b.sued and (b.sued_on is None or b.sued_on <= loan.on):
        since = f" on {b.sued_on.isoformat()}" if b.sued_on else ""
        out.append(Violation("O20", "sued", f"borrower {b.borrower_id} sued{since}: no new loans"))
    if b.interest_on_hold:
        out.append(
            Violation(
                "O20",
                "interest_on_hold",
                f"borrower {b.borrower_id} has interest on hold (还本挂息): no new loans "
                "until the interest is paid",
            )
        )
    if b.household_on_hold:
        members = ", ".join(sorted(b.household_on_hold))
        out.append(
            Violation(
                "O20",
                "household_interest_on_hold",
                f"household {b.household_id} has interest on hold (还本挂息) with {members}: "
                "no new loans to its members until the interest is paid",
            )
        )
    if b.employee_id is not None and loan.rate is not None and loan.standard_rate is not None:
        if loan.rate < loan.standard_rate:
            out.append(
                Violation(
                    "O20",
                    "employee_better_terms",
                    f"borrower {b.borrower_id} is employee {b.employee_id}: rate {loan.rate} "
                    f"below the standard rate {loan.standard_rate} of the product",
                )
            )
    if b.relative_of is not None and unsecured:
        relation = f" ({b.relation})" if b.relation else ""
        out.append(
            Violation(
                "O20",
                "relative_unsecured",
                f"borrower {b.borrower_id} is a relative{relation} of employee "
                f"{b.relative_of}: no unsecured loans",
            )
        )
    return out


def check_loan(
    loan: ProposedLoan,
    borrower: BorrowerFacts | None,
    officer: OfficerFacts | None,
    *,
    joint_guarantee_min: Decimal,
) -> tuple[Violation, ...]:
    """O20 (and O23's bar on officers on collection duty): every rule the new loan violates;
    empty when it may be granted."""
    unsecured = loan.collateral is Collateral.UNSECURED
    out = _borrower_rules(loan, borrower, unsecured=unsecured) if borrower else []
    g = loan.family_guarantee
    if g is not None and loan.amount >= joint_guarantee_min and g not in GUARANTEE_OK:
        if g is not FamilyGuarantee.NONE_PROVEN or not (loan.proof_ref or "").strip():
            out.append(
                Violation(
                    "O20",
                    "joint_guarantee",
                    f"amount {loan.amount} >= {joint_guarantee_min} needs a spouse or family "
                    "joint guarantee or a proof of none",
                )
            )
    if officer is not None:
        if officer.off_post_collection:
            out.append(
                Violation(
                    "O23",
                    "officer_off_post",
                    f"officer {officer.officer_id} missed the collection plan: off-post "
                    "collection, no new loans",
                )
            )
        elif officer.collection_duty and unsecured:
            out.append(
                Violation(
                    "O23",
                    "officer_on_duty_unsecured",
                    f"officer {officer.officer_id} is on collection duty ({officer.duty_year}): "
                    "no new unsecured loans",
                )
            )
    return tuple(out)
