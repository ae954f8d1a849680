"""O2 appointment workflow, O3 review and O5 result timing as pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from services.officers.certification.rules import (
    AppointmentStatus,
    Decision,
    OfficerStatus,
    Preconditions,
    check_can_apply,
    check_collection_result,
    check_review,
    decide,
    give_opinion,
    missing_preconditions,
)
from services.officers.kernel.rules import RuleError

D = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("pre", "missing"),
    [
        (Preconditions(True, date(2024, 6, 1), True), []),  # exactly 1 year
        (Preconditions(True, date(2024, 6, 2), True), ["at least 1 year of financial work"]),
        (Preconditions(False, date(2020, 1, 1), True), ["good standing"]),
        (Preconditions(True, date(2020, 1, 1), False), ["a qualification certificate (O1)"]),
    ],
)
def test_o2_preconditions(pre: Preconditions, missing: list[str]) -> None:
    found = missing_preconditions(pre, D)
    assert len(found) == len(missing)
    assert all(f.startswith(m) for f, m in zip(found, missing, strict=True))


def test_o2_happy_path_applied_reviewed_appointed() -> None:
    status = give_opinion(AppointmentStatus.APPLIED, on=D, previous=D)
    assert status is AppointmentStatus.RISK_REVIEWED
    assert (
        decide(status, Decision.APPOINT, missing=[], on=D, previous=D)
        is AppointmentStatus.APPOINTED
    )


def test_o2_committee_decision_before_risk_department_opinion_is_refused() -> None:
    with pytest.raises(RuleError) as err:
        decide(AppointmentStatus.APPLIED, Decision.APPOINT, missing=[], on=D, previous=D)
    assert str(err.value) == "O2: committee decision before risk department opinion"


@pytest.mark.parametrize(
    "status",
    [AppointmentStatus.RISK_REVIEWED, AppointmentStatus.APPOINTED, AppointmentStatus.REJECTED],
)
def test_o2_the_opinion_comes_once_and_before_the_decision(status: AppointmentStatus) -> None:
    with pytest.raises(RuleError, match="^O2: "):
        give_opinion(status, on=D, previous=D)


def test_o2_an_incomplete_application_can_be_rejected_but_not_appointed() -> None:
    missing = ["good standing"]
    with pytest.raises(RuleError, match="incomplete application cannot be appointed: missing good"):
        decide(AppointmentStatus.RISK_REVIEWED, Decision.APPOINT, missing=missing, on=D, previous=D)
    rejected = decide(
        AppointmentStatus.RISK_REVIEWED, Decision.REJECT, missing=missing, on=D, previous=D
    )
    assert rejected is AppointmentStatus.REJECTED
    with pytest.raises(RuleError, match="already decided"):
        decide(rejected, Decision.APPOINT, missing=[], on=D, previous=D)


def test_o2_steps_cannot_go_back_in_time() -> None:
    with pytest.raises(RuleError) as err:
        give_opinion(AppointmentStatus.APPLIED, on=date(2025, 5, 31), previous=D)
    assert (err.value.rule, err.value.field) == ("O2", "/on")


@pytest.mark.parametrize(
    ("status", "open_app", "failed", "rule"),
    [
        (OfficerStatus.ON_POST, None, False, "O2"),
        (OfficerStatus.COLLECTION, None, False, "O5"),
        (OfficerStatus.OFF_POST, None, True, "O5"),
        (OfficerStatus.CANDIDATE, "A-1", False, "O2"),
    ],
)
def test_o2_o5_who_may_be_put_forward(
    status: OfficerStatus, open_app: str | None, failed: bool, rule: str
) -> None:
    with pytest.raises(RuleError) as err:
        check_can_apply(status, open_application=open_app, collection_failed=failed)
    assert err.value.rule == rule
    check_can_apply(OfficerStatus.OFF_POST, open_application=None, collection_failed=False)


def test_o3_review_needs_an_appointment_by_the_end_of_the_year() -> None:
    check_review(date(2024, 12, 31), 2024)
    for appointed in (None, date(2025, 1, 1)):
        with pytest.raises(RuleError, match="^O3: "):
            check_review(appointed, 2024)


def test_o5_the_result_comes_once_the_assignment_has_run() -> None:
    check_collection_result(date(2026, 7, 19), date(2026, 7, 19))
    with pytest.raises(RuleError, match="^O5: .*until 2026-07-19"):
        check_collection_result(date(2026, 7, 19), date(2026, 7, 18))
