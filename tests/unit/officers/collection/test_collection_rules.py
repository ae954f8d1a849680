"""O23 collection plans, pure rules: the plan is judged on the year's target (Art. 39), the
quarters reported one by one; the officer's pay, post and lending rights follow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.officers.collection.rules import (
    CollectionState,
    PlanStatus,
    judge_plan,
    officer_status,
    validate_targets,
)
from services.officers.kernel.rules import RuleError

D = Decimal
TARGETS = [D("50000.00"), D("50000.00"), D("100000.00"), D("100000.00")]  # year 300,000


def test_o23_plan_in_progress_until_the_year_is_decided() -> None:
    out = judge_plan(TARGETS, {1: D("40000.00"), 2: D("70000.00")})
    assert out.status is PlanStatus.IN_PROGRESS
    assert (out.year_target, out.collected, out.shortfall) == (
        D("300000.00"),
        D("110000.00"),
        D("190000.00"),
    )
    q1, q2, q3, _q4 = out.quarters
    assert (q1.met, q2.met, q3.met) == (False, True, None)
    assert (q2.cumulative_target, q2.cumulative_collected) == (D("100000.00"), D("110000.00"))


def test_o23_plan_met_as_soon_as_the_year_target_is_reached() -> None:
    out = judge_plan(TARGETS, {1: D("120000"), 2: D("130000"), 3: D("50000.00")})
    assert out.status is PlanStatus.MET
    assert out.shortfall == 0
    assert out.reason == "O23: collected 300000.00 >= the year's target 300000.00: plan met"


def test_o23_plan_missed_when_four_quarters_fall_short() -> None:
    got = {1: D("50000"), 2: D("50000"), 3: D("100000"), 4: D("99999.99")}
    out = judge_plan(TARGETS, got)
    assert out.status is PlanStatus.MISSED
    assert out.shortfall == D("0.01")


def test_o23_targets_are_validated() -> None:
    with pytest.raises(RuleError) as exc:
        validate_targets([D(1), D(2), D(3)])
    assert exc.value.rule == "O23"
    with pytest.raises(RuleError) as exc:
        validate_targets([D(1), D(-2), D(3), D(4)])
    assert exc.value.field == "/targets/1"
    with pytest.raises(RuleError):
        validate_targets([D(0)] * 4)


def test_o23_status_on_duty_without_plan_bars_unsecured_lending() -> None:
    s = officer_status(collection_duty=True, yellow_card=False, plan=None)
    assert s.state is CollectionState.PLAN_REQUIRED
    assert (s.pay, s.post, s.unsecured_lending, s.lending) == ("normal", "on_post", False, True)


def test_o23_status_met_restores_normal_pay_and_lending() -> None:
    met = judge_plan(TARGETS, {1: D("300000")})
    s = officer_status(collection_duty=True, yellow_card=True, plan=met)
    assert s.state is CollectionState.MET
    assert (s.pay, s.post, s.unsecured_lending, s.lending) == ("normal", "on_post", True, True)


def test_o23_status_missed_means_living_allowance_and_off_post_collection() -> None:
    missed = judge_plan(TARGETS, dict.fromkeys((1, 2, 3, 4), D("1000")))
    s = officer_status(collection_duty=True, yellow_card=False, plan=missed)
    assert s.state is CollectionState.MISSED
    assert (s.pay, s.post, s.unsecured_lending, s.lending) == (
        "living_allowance",
        "off_post_collection",
        False,
        False,
    )
    # A yellow card alone: a plan is required, a missed one sanctions nothing more.
    y = officer_status(collection_duty=False, yellow_card=True, plan=missed)
    assert (y.pay, y.post, y.lending) == ("normal", "on_post", True)


def test_o23_status_none_without_duty_or_card() -> None:
    s = officer_status(collection_duty=False, yellow_card=False, plan=None)
    assert s.state is CollectionState.NONE
    assert s.unsecured_lending
    assert s.lending
