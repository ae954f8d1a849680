"""Admission rules as pure functions (spec officers.md O1-O3, O5; seed piece 5, Art. 2-7, 15).

The appointment workflow of O2 is a small state machine: the sub-branch applies, the risk
department gives a first opinion, the loan review committee decides. Each function takes the
current state and returns the next one or raises `RuleError` naming the rule. Dates and the
preconditions come in as arguments; nothing here reads the clock or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.officers.grading.protection import add_months
from services.officers.kernel.rules import RuleError


class AppointmentStatus(StrEnum):
    """O2 states of an application."""

    APPLIED = "applied"
    RISK_REVIEWED = "risk_reviewed"
    APPOINTED = "appointed"
    REJECTED = "rejected"


class Opinion(StrEnum):
    """O2: the risk department's first opinion (advisory; the committee decides)."""

    FAVOURABLE = "favourable"
    UNFAVOURABLE = "unfavourable"


class Decision(StrEnum):
    """O2: the loan review committee's decision."""

    APPOINT = "appoint"
    REJECT = "reject"


class ReviewResult(StrEnum):
    """O3: the committee's annual qualification review."""

    EXCELLENT = "excellent"
    GOOD = "good"
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"


class OfficerStatus(StrEnum):
    """Where an officer stands: never appointed, on post, on the O5 assignment, off post."""

    CANDIDATE = "candidate"
    ON_POST = "on_post"
    COLLECTION = "collection"
    OFF_POST = "off_post"


MIN_FINANCIAL_WORK_MONTHS = 12


@dataclass(frozen=True)
class Preconditions:
    """O2: what an appointment needs, as known on a given date."""

    good_standing: bool
    financial_work_start_date: date
    has_certificate: bool


def missing_preconditions(pre: Preconditions, on: date) -> list[str]:
    """O2: the unmet preconditions on `on` (good standing, >= 1 year of financial work, a
    valid certificate); empty when the application is complete."""
    missing = []
    if not pre.good_standing:
        missing.append("good standing")
    if add_months(pre.financial_work_start_date, MIN_FINANCIAL_WORK_MONTHS) > on:
        missing.append(
            f"at least 1 year of financial work (started {pre.financial_work_start_date})"
        )
    if not pre.has_certificate:
        missing.append("a qualification certificate (O1)")
    return missing


def check_can_apply(
    status: OfficerStatus, *, open_application: str | None, collection_failed: bool
) -> None:
    """O2: only an officer off post, with no application in progress, may be put forward;
    O5: not after a failed collection assignment."""
    if status is OfficerStatus.ON_POST:
        raise RuleError("O2", "the officer is already appointed", field="/officer_id")
    if status is OfficerStatus.COLLECTION:
        raise RuleError(
            "O5",
            "the officer is on the collection assignment; its result decides re-appointment",
            field="/officer_id",
        )
    if collection_failed:
        raise RuleError(
            "O5",
            "the collection assignment was not met: no re-appointment",
            field="/officer_id",
        )
    if open_application is not None:
        raise RuleError(
            "O2", f"application {open_application} is still in progress", field="/officer_id"
        )


def _check_date(on: date, previous: date, step: str) -> None:
    if on < previous:
        raise RuleError(
            "O2", f"{step} on {on} is before the previous step ({previous})", field="/on"
        )


def give_opinion(status: AppointmentStatus, *, on: date, previous: date) -> AppointmentStatus:
    """O2: the risk department's opinion follows the application, once."""
    if status is AppointmentStatus.RISK_REVIEWED:
        raise RuleError("O2", "the risk department has already given its opinion")
    if status in (AppointmentStatus.APPOINTED, AppointmentStatus.REJECTED):
        raise RuleError("O2", f"risk department opinion after the committee decision ({status})")
    _check_date(on, previous, "the opinion")
    return AppointmentStatus.RISK_REVIEWED


def decide(
    status: AppointmentStatus, decision: Decision, *, missing: list[str], on: date, previous: date
) -> AppointmentStatus:
    """O2: the committee decides after the risk opinion; an incomplete application (unmet
    preconditions) cannot be appointed, only rejected."""
    if status is AppointmentStatus.APPLIED:
        raise RuleError("O2", "committee decision before risk department opinion")
    if status in (AppointmentStatus.APPOINTED, AppointmentStatus.REJECTED):
        raise RuleError("O2", f"the application is already decided ({status})")
    _check_date(on, previous, "the decision")
    if decision is Decision.REJECT:
        return AppointmentStatus.REJECTED
    if missing:
        raise RuleError(
            "O2", "an incomplete application cannot be appointed: missing " + "; ".join(missing)
        )
    return AppointmentStatus.APPOINTED


def check_review(first_appointment_date: date | None, year: int) -> None:
    """O3: the annual review covers officers appointed by the end of the reviewed year."""
    if first_appointment_date is None or first_appointment_date > date(year, 12, 31):
        raise RuleError("O3", f"the officer was not appointed by the end of {year}", field="/year")


def check_collection_result(end_date: date, on: date) -> None:
    """O5: the assignment's result is recorded once its 6 months have run."""
    if on < end_date:
        raise RuleError(
            "O5", f"the collection assignment runs until {end_date}; no result before", field="/on"
        )
