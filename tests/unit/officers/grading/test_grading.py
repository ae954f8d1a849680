"""Annual grading O4-O15: worked examples at every boundary, plus properties."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.officers.grading.items import (
    BranchClass,
    Limit,
    OfficerFigures,
    PeerGroup,
    npl_ratio_percent,
    peer_averages,
    score_interest,
    score_quality,
    score_volume,
)
from services.officers.grading.policy import Grade, GradingPolicy, Post
from services.officers.grading.protection import (
    add_months,
    in_protection,
    post_decision,
    protected_pay,
    protection_end,
)
from services.officers.grading.rules import (
    Cap,
    GradingResult,
    apply_caps,
    grade_all,
    grade_for_score,
    grade_officer,
    run_fingerprint,
)
from services.officers.grading.run import (
    Actor,
    GradingRun,
    RunAction,
    RunStatus,
    ensure_editable,
    new_run,
    transition,
)
from services.officers.kernel.rules import RuleError

D = Decimal
POLICY = GradingPolicy.default()


def fig(
    officer_id: str = "a",
    *,
    county: str = "C1",
    branch_class: int = 1,
    loans: int = 100,
    income: str = "50000",
    npl: str = "1000",
    managed: str = "100000",
    **kw: Any,
) -> OfficerFigures:
    """An officer; alone in the class it sits at the peer average (20 + 50 points)."""
    return OfficerFigures(
        officer_id=officer_id,
        county=county,
        branch_class=BranchClass(branch_class),
        loans_issued=loans,
        interest_income=D(income),
        new_npl_balance=D(npl),
        managed_balance=D(managed),
        **kw,
    )


def alone(f: OfficerFigures, policy: GradingPolicy = POLICY) -> GradingResult:
    return grade_all([f], policy)[0]


# --- policy --------------------------------------------------------------------------------


def test_o6_to_o12_policy_defaults_are_the_spec_figures() -> None:
    p = GradingPolicy.default()
    assert (p.grade1_min_score, p.grade2_min_score, p.grade3_min_score) == (D(90), D(75), D(60))
    assert (p.grade1_coefficient, p.grade2_coefficient, p.grade3_coefficient) == (
        D("2.0"),
        D("1.8"),
        D("1.6"),
    )
    assert (p.volume_base_points, p.volume_points_per_percent, p.volume_bonus_cap) == (
        D(20),
        D("0.1"),
        D(10),
    )
    assert (p.interest_base_points, p.interest_bonus_cap) == (D(50), D(20))
    assert (p.quality_base_points, p.quality_base_npl_ratio) == (D(30), D("1.00"))
    assert (p.quality_points_per_step, p.quality_step_pp, p.quality_bonus_cap) == (
        D(1),
        D("0.1"),
        D(10),
    )
    assert (
        p.deduction_failed_exam,
        p.deduction_fine,
        p.deduction_criticism,
        p.deduction_serious_violation,
    ) == (D(3), D(2), D(5), D(10))
    assert (p.npl_tolerance_ratio, p.npl_tolerance_factor) == (D("1.5"), D("1.5"))
    assert (p.serious_violation_max_grade, p.over_tolerance_max_grade) == (2, 2)
    assert p.over_tolerance_factor_max_grade == 3
    assert (p.protection_years, p.collection_assignment_months) == (2, 6)
    assert p.peer_average_includes_managers is False


def test_o6_policy_round_trips_through_json() -> None:
    data = json.loads(json.dumps(POLICY.to_dict()))
    assert data["npl_tolerance_ratio"] == "1.5"
    assert data["grade1_coefficient"] == "2.0"
    assert GradingPolicy.from_dict(data) == POLICY


def test_o12_policy_from_partial_dict_keeps_defaults() -> None:
    p = GradingPolicy.from_dict({"npl_tolerance_ratio": 2, "grade1_min_score": "92.5"})
    assert p.npl_tolerance_ratio == D(2)
    assert p.grade1_min_score == D("92.5")
    assert p.grade2_min_score == D(75)
    # a JSON float goes through its shortest repr, never binary arithmetic
    assert GradingPolicy.from_dict({"npl_tolerance_ratio": 1.1}).npl_tolerance_ratio == D("1.1")


@pytest.mark.parametrize(
    ("data", "rule", "field"),
    [
        ({"nope": 1}, "O6-O14", "/nope"),
        ({"grade1_min_score": "abc"}, "O6", "/grade1_min_score"),
        ({"grade1_min_score": "NaN"}, "O6", "/grade1_min_score"),
        ({"grade1_min_score": True}, "O6", "/grade1_min_score"),
        ({"grade2_min_score": "95"}, "O6", "/grade2_min_score"),
        ({"grade1_coefficient": "1.0"}, "O6", "/grade2_coefficient"),
        ({"volume_bonus_cap": "-1"}, "O8", "/volume_bonus_cap"),
        ({"interest_base_points": "-50"}, "O9", "/interest_base_points"),
        ({"quality_step_pp": "0"}, "O10", "/quality_step_pp"),
        ({"deduction_fine": "-2"}, "O11", "/deduction_fine"),
        ({"npl_tolerance_ratio": "0"}, "O12", "/npl_tolerance_ratio"),
        ({"npl_tolerance_factor": "0.9"}, "O12", "/npl_tolerance_factor"),
        ({"over_tolerance_max_grade": 4}, "O12", "/over_tolerance_max_grade"),
        ({"over_tolerance_max_grade": "2"}, "O12", "/over_tolerance_max_grade"),
        ({"deputy_head_coefficient": "-1"}, "O14", "/deputy_head_coefficient"),
        ({"protection_years": -1}, "O4", "/protection_years"),
        ({"collection_assignment_months": 0}, "O5", "/collection_assignment_months"),
        ({"peer_average_includes_managers": "yes"}, "O7", "/peer_average_includes_managers"),
    ],
)
def test_o6_to_o12_policy_from_dict_names_the_bad_field(
    data: dict[str, Any], rule: str, field: str
) -> None:
    with pytest.raises(RuleError) as err:
        GradingPolicy.from_dict(data)
    assert err.value.rule == rule
    assert err.value.field == field
    assert str(err.value).startswith(f"{rule}:")


def test_o6_policy_refuses_floats_in_the_constructor() -> None:
    with pytest.raises(RuleError, match="grade1_coefficient"):
        GradingPolicy(grade1_coefficient=2.0)  # type: ignore[arg-type]


# --- O6 grade thresholds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", Grade.ONE),
        ("90", Grade.ONE),
        ("89.99", Grade.TWO),
        ("75", Grade.TWO),
        ("74.99", Grade.THREE),
        ("60", Grade.THREE),
        ("59.99", None),
        ("-5", None),
    ],
)
def test_o6_grade_for_score_thresholds(score: str, grade: Grade | None) -> None:
    assert grade_for_score(D(score), POLICY) == grade


@pytest.mark.parametrize(
    ("npl", "criticisms", "score", "grade", "coefficient"),
    [
        ("1000", 2, "90.00", Grade.ONE, "2.0"),
        ("1001", 2, "89.99", Grade.TWO, "1.8"),
        ("1000", 5, "75.00", Grade.TWO, "1.8"),
        ("1001", 5, "74.99", Grade.THREE, "1.6"),
        ("1000", 8, "60.00", Grade.THREE, "1.6"),
        ("1001", 8, "59.99", None, None),
    ],
)
def test_o6_o13_worked_totals_at_each_threshold(
    npl: str, criticisms: int, score: str, grade: Grade | None, coefficient: str | None
) -> None:
    # alone in the class: volume 20 + interest 50; quality 30 at 1.000 %, 29.99 at 1.001 %
    r = alone(fig(npl=npl, criticisms=criticisms))
    assert r.score == D(score)
    assert r.grade == grade
    assert r.disqualified is (grade is None)
    assert r.salary_coefficient == (None if coefficient is None else D(coefficient))
    assert r.caps == ()


def test_o6_disqualified_below_60_has_no_grade_and_says_why() -> None:
    r = alone(fig(npl="1001", criticisms=8))
    assert r.grade is None
    assert r.grade_by_score is None
    assert any("disqualified" in line for line in r.explanation)
    assert r.to_dict()["grade"] is None
    assert r.to_dict()["salary_coefficient"] is None


def test_o6_custom_thresholds_and_coefficients_apply() -> None:
    p = replace(POLICY, grade1_min_score=D(95), grade1_coefficient=D("2.5"))
    r = alone(fig(npl="1000", criticisms=1), p)  # 95.00
    assert (r.score, r.grade, r.salary_coefficient) == (D("95.00"), Grade.ONE, D("2.5"))


# --- O7 peer averages ----------------------------------------------------------------------


def test_o7_peer_averages_by_county_and_class_across_counties() -> None:
    figures = [
        fig("a1", county="A", branch_class=1, loans=100, income="40000"),
        fig("a2", county="A", branch_class=1, loans=200, income="80000"),
        fig("a3", county="A", branch_class=2, loans=50, income="10000"),
        fig("b1", county="B", branch_class=1, loans=300, income="90000"),
        fig("b2", county="B", branch_class=1, loans=100, income="30000"),
        fig("b3", county="B", branch_class=1, loans=200, income="60000"),
        fig("b4", county="B", branch_class=3, loans=7, income="700"),
    ]
    avg = peer_averages(figures, POLICY)
    assert set(avg) == {
        PeerGroup("A", BranchClass.URBAN),
        PeerGroup("A", BranchClass.TOWNSHIP),
        PeerGroup("B", BranchClass.URBAN),
        PeerGroup("B", BranchClass.VILLAGE),
    }
    a1 = avg[PeerGroup("A", BranchClass.URBAN)]
    assert (a1.officer_count, a1.average_loans_issued, a1.average_interest_income) == (
        2,
        D(150),
        D(60000),
    )
    b1 = avg[PeerGroup("B", BranchClass.URBAN)]
    assert (b1.officer_count, b1.average_loans_issued, b1.average_interest_income) == (
        3,
        D(200),
        D(60000),
    )
    results = {r.officer_id: r for r in grade_all(figures, POLICY)}
    # a2: 200 vs 150 -> +33.33 % -> 23.33; 80000 / 60000 -> 66.67
    assert results["a2"].volume.points == D("23.33")
    assert results["a2"].interest.points == D("66.67")
    # b1: 300 vs 200 -> +50 % -> 25; 90000 / 60000 -> 75 -> capped at 70
    assert results["b1"].volume.points == D(25)
    assert results["b1"].interest.points == D(70)
    # the same figures in another county compare differently: b2 (100 vs 200) vs a1 (100 vs 150)
    assert results["b2"].volume.points == D(15)
    assert results["a1"].volume.points == D("16.67")
    # alone in class: at the average
    for alone_id in ("a3", "b4"):
        assert results[alone_id].volume.points == D(20)
        assert results[alone_id].interest.points == D(50)
    assert results["a2"].peer.group == PeerGroup("A", BranchClass.URBAN)


def test_o7_officer_alone_in_class_gets_base_points() -> None:
    r = alone(fig(loans=37, income="1234.56"))
    assert r.peer.officer_count == 1
    assert (r.volume.points, r.interest.points) == (D(20), D(50))


def test_o7_peer_average_zero_gives_base_points() -> None:
    figures = [fig("a", loans=0, income="0"), fig("b", loans=0, income="0")]
    for r in grade_all(figures, POLICY):
        assert r.peer.average_loans_issued == 0
        assert (r.volume.points, r.interest.points) == (D(20), D(50))
        assert "peer average is 0" in r.explanation[1]


def test_o7_managers_are_left_out_of_the_peer_average_by_default() -> None:
    figures = [
        fig("o1", loans=100, income="60000"),
        fig("o2", loans=200, income="40000"),
        fig("head", loans=0, income="0", post=Post.SUB_BRANCH_HEAD),
    ]
    peer = peer_averages(figures, POLICY)[PeerGroup("C1", BranchClass.URBAN)]
    assert (peer.officer_count, peer.average_loans_issued, peer.includes_managers) == (
        2,
        D(150),
        False,
    )
    with_managers = replace(POLICY, peer_average_includes_managers=True)
    peer = peer_averages(figures, with_managers)[PeerGroup("C1", BranchClass.URBAN)]
    assert (peer.officer_count, peer.average_loans_issued, peer.includes_managers) == (
        3,
        D(100),
        True,
    )


def test_o7_group_of_managers_only_averages_over_them() -> None:
    figures = [
        fig("h", loans=10, income="1000", post=Post.SUB_BRANCH_HEAD),
        fig("d", loans=30, income="3000", post=Post.DEPUTY_HEAD),
    ]
    peer = peer_averages(figures, POLICY)[PeerGroup("C1", BranchClass.URBAN)]
    assert (peer.officer_count, peer.average_loans_issued, peer.includes_managers) == (
        2,
        D(20),
        True,
    )


def test_o7_grade_officer_refuses_a_peer_average_of_another_group() -> None:
    other = peer_averages([fig("x", county="Z")], POLICY)[PeerGroup("Z", BranchClass.URBAN)]
    with pytest.raises(RuleError, match="O7"):
        grade_officer(fig(), other, POLICY)


def test_o7_duplicate_officer_is_refused() -> None:
    with pytest.raises(RuleError) as err:
        grade_all([fig("a"), fig("b"), fig("a")], POLICY)
    assert err.value.field == "/officers/2/officer_id"


# --- O8 volume -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loans", "average", "points", "limit"),
    [
        (100, "100", "20.00", None),
        (120, "100", "22.00", None),
        (80, "100", "18.00", None),
        (101, "100", "20.10", None),
        (1, "3", "13.33", None),  # -66.67 % -> 13.333...
        (200, "100", "30.00", None),  # +10 bonus reached exactly
        (201, "100", "30.00", Limit.BONUS_CAP),  # exceeded
        (500, "100", "30.00", Limit.BONUS_CAP),
        (0, "100", "10.00", None),  # -100 % is the lowest a count can go
        (0, "0", "20.00", None),  # zero average: at the average
    ],
)
def test_o8_volume_points(loans: int, average: str, points: str, limit: Limit | None) -> None:
    item = score_volume(loans, D(average), POLICY)
    assert item.points == D(points)
    assert item.limit is limit


def test_o8_volume_deduction_floors_at_zero() -> None:
    steep = replace(POLICY, volume_points_per_percent=D("0.3"))
    item = score_volume(0, D(100), steep)
    assert item.raw_points == D(-10)
    assert (item.points, item.limit) == (D(0), Limit.FLOOR)


def test_o8_volume_is_linear_not_stepwise() -> None:
    assert score_volume(1005, D(1000), POLICY).points == D("20.05")  # +0.5 %


# --- O9 interest ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("income", "average", "points", "limit"),
    [
        ("50000", "50000", "50.00", None),
        ("60000", "50000", "60.00", None),
        ("25000", "50000", "25.00", None),
        ("70000", "50000", "70.00", None),  # +20 reached exactly
        ("70000.01", "50000", "70.00", Limit.BONUS_CAP),  # exceeded
        ("0", "50000", "0.00", None),
        ("100.01", "100", "50.01", None),  # 50.005 rounds HALF_UP
        ("123", "0", "50.00", None),  # zero average (cannot happen with real data)
    ],
)
def test_o9_interest_points(income: str, average: str, points: str, limit: Limit | None) -> None:
    item = score_interest(D(income), D(average), POLICY)
    assert item.points == D(points)
    assert item.limit is limit


# --- O10 quality ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("npl", "managed", "ratio", "points", "limit"),
    [
        ("1000", "100000", "1", "30.00", None),
        ("1200", "100000", "1.2", "28.00", None),
        ("500", "100000", "0.5", "35.00", None),
        ("1050", "100000", "1.05", "29.50", None),  # linear within a 0.1 pp step
        ("0", "100000", "0", "40.00", None),  # +10 is the most a ratio can give
        ("4000", "100000", "4", "0.00", None),  # deduction reaches 0 exactly
        ("5000", "100000", "5", "0.00", Limit.FLOOR),  # and stops there
        ("1001", "100000", "1.001", "29.99", None),
    ],
)
def test_o10_quality_points(
    npl: str, managed: str, ratio: str, points: str, limit: Limit | None
) -> None:
    item = score_quality(D(npl), D(managed), POLICY)
    assert item.npl_ratio == D(ratio)
    assert item.points == D(points)
    assert item.limit is limit


def test_o10_quality_bonus_cap_exceeded_with_a_lower_cap() -> None:
    p = replace(POLICY, quality_bonus_cap=D(5))
    item = score_quality(D(0), D(100000), p)
    assert (item.raw_points, item.points, item.limit) == (D(40), D(35), Limit.BONUS_CAP)


def test_o10_zero_managed_balance_without_npl_is_neutral() -> None:
    r = alone(fig(npl="0", managed="0"))
    assert r.quality.npl_ratio is None
    assert r.quality.points == D(30)
    assert r.caps == ()
    assert "no loans" in r.explanation[3]


def test_o10_new_npl_on_zero_managed_balance_counts_as_infinite() -> None:
    r = alone(fig(npl="10", managed="0"))
    assert r.quality.npl_ratio_infinite
    assert r.quality.points == 0
    assert [c.cap for c in r.caps] == [Cap.NPL_ABOVE_TOLERANCE, Cap.NPL_ABOVE_TOLERANCE_FACTOR]
    assert r.grade == Grade.THREE  # 70 -> grade 3, within both caps


def test_o10_npl_ratio_percent() -> None:
    ratio = npl_ratio_percent(D(1), D(3))
    assert ratio is not None
    assert ratio.quantize(D("0.0001")) == D("33.3333")
    assert npl_ratio_percent(D(0), D(0)) is None


# --- O11 deductions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "deducted"),
    [
        ({}, "0"),
        ({"failed_exams": 1}, "3"),
        ({"fines": 1}, "2"),
        ({"criticisms": 1}, "5"),
        ({"serious_violations": 1}, "10"),
        ({"failed_exams": 2, "fines": 3, "criticisms": 1, "serious_violations": 1}, "27"),
    ],
)
def test_o11_deductions(kw: dict[str, Any], deducted: str) -> None:
    r = alone(fig(**kw))
    assert r.deductions.points == D(deducted)
    assert r.score == D(100) - D(deducted)


def test_o11_deductions_can_take_the_total_below_zero() -> None:
    r = alone(fig(npl="5000", loans=0, income="0", criticisms=20))
    # alone: 20 + 50 + 0 - 100
    assert r.score == D(-30)
    assert r.grade is None


# --- O12 caps ------------------------------------------------------------------------------


def test_o12_serious_violation_caps_grade_1_to_2_not_the_score() -> None:
    r = alone(fig(npl="0", serious_violations=1))  # 20 + 50 + 40 - 10 = 100
    assert r.score == D(100)
    assert r.grade_by_score == Grade.ONE
    assert r.grade == Grade.TWO
    assert r.salary_coefficient == D("1.8")
    assert [(c.cap, c.max_grade, c.lowered) for c in r.caps] == [
        (Cap.SERIOUS_VIOLATION, Grade.TWO, True)
    ]
    assert r.to_dict()["caps"] == ["serious_violation"]


def test_o12_serious_violation_leaves_grade_3_alone() -> None:
    r = alone(fig(npl="1000", serious_violations=1, criticisms=4))  # 100 - 10 - 20 = 70
    assert (r.grade_by_score, r.grade) == (Grade.THREE, Grade.THREE)
    assert r.caps[0].lowered is False


@pytest.mark.parametrize(
    ("npl", "managed", "score", "by_score", "grade", "caps"),
    [
        # default tolerance 1.5 %, 1.5 x tolerance = 2.25 %
        ("1500", "100000", "95.00", Grade.ONE, Grade.ONE, []),  # exactly at the tolerance
        ("15001", "1000000", "95.00", Grade.ONE, Grade.TWO, [Cap.NPL_ABOVE_TOLERANCE]),
        ("2250", "100000", "87.50", Grade.TWO, Grade.TWO, [Cap.NPL_ABOVE_TOLERANCE]),  # 1.5x
        (
            "22501",
            "1000000",
            "87.50",
            Grade.TWO,
            Grade.THREE,
            [Cap.NPL_ABOVE_TOLERANCE, Cap.NPL_ABOVE_TOLERANCE_FACTOR],
        ),
    ],
)
def test_o12_npl_tolerance_caps_at_the_boundaries(
    npl: str,
    managed: str,
    score: str,
    by_score: Grade,
    grade: Grade,
    caps: list[Cap],
) -> None:
    r = alone(fig(npl=npl, managed=managed))
    assert r.score == D(score)
    assert (r.grade_by_score, r.grade) == (by_score, grade)
    assert [c.cap for c in r.caps] == caps


@pytest.mark.parametrize(
    ("npl", "grade", "lowered"),
    [
        ("5000", Grade.ONE, []),  # 0.5 % exactly: 105 points, grade 1
        ("5001", Grade.TWO, [True]),  # just above: grade 1 capped to 2
        ("7500", Grade.TWO, [True]),  # exactly 1.5 x: still only the first cap
        ("7501", Grade.THREE, [True, True]),  # just above 1.5 x: grade 3
    ],
)
def test_o12_npl_caps_lower_a_grade_1_officer(npl: str, grade: Grade, lowered: list[bool]) -> None:
    p = replace(POLICY, npl_tolerance_ratio=D("0.5"))
    r = alone(fig(npl=npl, managed="1000000"), p)
    assert r.grade_by_score == Grade.ONE
    assert r.grade == grade
    assert [c.lowered for c in r.caps] == lowered


def test_o12_caps_do_not_requalify_a_disqualified_officer() -> None:
    r = alone(fig(npl="3000", serious_violations=1, criticisms=4))  # 20 + 50 + 10 - 10 - 20
    assert r.score == D(50)
    assert r.grade is None
    assert all(not c.lowered for c in r.caps)


def test_o12_apply_caps_takes_the_strictest() -> None:
    caps = [(Cap.NPL_ABOVE_TOLERANCE, Grade.TWO), (Cap.NPL_ABOVE_TOLERANCE_FACTOR, Grade.THREE)]
    grade, applied = apply_caps(Grade.ONE, caps)
    assert grade == Grade.THREE
    assert [a.lowered for a in applied] == [True, True]


# --- O13 breakdown -------------------------------------------------------------------------


def test_o13_result_carries_the_full_breakdown() -> None:
    figures = [
        fig("a", loans=120, income="60000", npl="1200", fines=1),
        fig("b", loans=80, income="40000", npl="800"),
    ]
    r = grade_all(figures, POLICY)[0]
    assert (r.volume.loans_issued, r.volume.peer_average, r.volume.points) == (
        120,
        D(100),
        D(22),
    )
    assert (r.interest.interest_income, r.interest.peer_average) == (D(60000), D(50000))
    assert r.interest.points == 60
    assert (r.quality.new_npl_balance, r.quality.managed_balance) == (D(1200), D(100000))
    assert (r.quality.npl_ratio, r.quality.points) == (D("1.2"), D(28))
    assert (r.deductions.fines, r.deductions.points) == (1, D(2))
    assert r.score == D(108)
    assert (r.grade, r.salary_coefficient) == (Grade.ONE, D("2.0"))
    text = "\n".join(r.explanation)
    for rule in ("O7", "O8", "O9", "O10", "O11", "O13", "O6"):
        assert rule in text
    assert "Final grade 1, salary coefficient 2.0" in text


def test_o13_to_dict_matches_the_http_contract() -> None:
    d = alone(fig(npl="0", serious_violations=1)).to_dict()
    assert set(d) >= {
        "officer_id",
        "score",
        "items",
        "deductions",
        "grade",
        "salary_coefficient",
        "caps",
        "explanation",
    }
    assert d["items"] == {"volume": "20.00", "interest": "50.00", "quality": "40.00"}
    assert (d["score"], d["deductions"], d["grade"], d["salary_coefficient"]) == (
        "100.00",
        "10.00",
        2,
        "1.8",
    )
    assert d["breakdown"]["caps"] == [{"cap": "serious_violation", "max_grade": 2, "lowered": True}]
    json.dumps(d)


def test_o13_items_are_rounded_half_up_and_add_up_to_the_total() -> None:
    figures = [fig("a", loans=1, income="100.01"), fig("b", loans=2, income="99.99")]
    results = grade_all(figures, POLICY)
    for r in results:
        assert r.score == r.volume.points + r.interest.points + r.quality.points - (
            r.deductions.points
        )
        assert r.score.as_tuple().exponent == -2
    assert results[0].interest.points == D("50.01")  # 50.005 -> 50.01
    assert results[1].interest.points == D("50.00")  # 49.995 -> 50.00


@pytest.mark.parametrize(
    ("field_name", "value", "rule"),
    [
        ("loans_issued", -1, "O8"),
        ("interest_income", D("-0.01"), "O9"),
        ("new_npl_balance", D(-1), "O10"),
        ("managed_balance", D(-1), "O10"),
        ("failed_exams", -1, "O11"),
        ("fines", -1, "O11"),
        ("criticisms", -2, "O11"),
        ("serious_violations", -1, "O11"),
        ("interest_income", 1.5, "O9"),
        ("managed_balance", D("NaN"), "O10"),
        ("loans_issued", True, "O8"),
        ("branch_class", 4, "O7"),
        ("county", "", "O7"),
        ("officer_id", "", "O13"),
        ("post", "teller", "O14"),
    ],
)
def test_o8_to_o11_invalid_inputs_name_rule_and_field(
    field_name: str, value: object, rule: str
) -> None:
    changes: dict[str, Any] = {field_name: value}
    bad = replace(fig("bad"), **changes)
    with pytest.raises(RuleError) as err:
        grade_all([fig("ok"), bad], POLICY)
    assert err.value.rule == rule
    assert err.value.field == f"/officers/1/{field_name}"
    assert field_name in str(err.value)


# --- O14 managers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("post", "coefficient"),
    [
        (Post.SUB_BRANCH_HEAD, "2.2"),
        (Post.DEPUTY_HEAD, "2.0"),
        (Post.OFFICE_DIRECTOR, "1.8"),
        (Post.OFFICER, "2.0"),  # grade 1
    ],
)
def test_o14_manager_coefficient_follows_the_post(post: Post, coefficient: str) -> None:
    r = alone(fig(npl="1000", post=post))  # 100 points, grade 1
    assert r.grade == Grade.ONE
    assert r.salary_coefficient == D(coefficient)
    assert r.reference_only is (post != Post.OFFICER)


def test_o14_manager_keeps_post_coefficient_when_disqualified_or_capped() -> None:
    p = replace(POLICY, deputy_head_coefficient=D("1.95"))
    r = alone(fig(npl="5000", criticisms=10, post=Post.DEPUTY_HEAD), p)
    assert r.grade is None
    assert r.salary_coefficient == D("1.95")
    assert "reference" in r.explanation[-1]


# --- O15 reproducibility and the yearly run ------------------------------------------------


def _random_figures(n: int, seed: int) -> list[OfficerFigures]:
    rnd = random.Random(seed)
    return [
        OfficerFigures(
            officer_id=f"o{i}",
            county=f"C{i % 20}",
            branch_class=BranchClass(1 + i % 3),
            loans_issued=rnd.randint(0, 300),
            interest_income=D(rnd.randint(0, 10**7)) / 100,
            new_npl_balance=D(rnd.randint(0, 10**6)) / 100,
            managed_balance=D(rnd.randint(0, 10**8)) / 100,
            failed_exams=rnd.randint(0, 2),
            fines=rnd.randint(0, 2),
            criticisms=rnd.randint(0, 1),
            serious_violations=rnd.randint(0, 1) * rnd.randint(0, 1),
            post=Post.OFFICER if i % 25 else Post.SUB_BRANCH_HEAD,
        )
        for i in range(n)
    ]


def test_o15_same_inputs_same_results_in_any_order() -> None:
    figures = _random_figures(300, seed=7)
    first = {r.officer_id: r for r in grade_all(figures, POLICY)}
    shuffled = figures[:]
    random.Random(1).shuffle(shuffled)
    second = {r.officer_id: r for r in grade_all(shuffled, POLICY)}
    assert first == second
    assert run_fingerprint(figures, POLICY) == run_fingerprint(shuffled, POLICY)
    other = replace(POLICY, npl_tolerance_ratio=D(2))
    assert run_fingerprint(figures, POLICY) != run_fingerprint(figures, other)


AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def _approved_run() -> GradingRun:
    run = new_run(2025, today=date(2026, 1, 10))
    run = transition(run, RunAction.PROPOSE, actor=Actor.SUB_BRANCH, by="li", at=AT)
    return transition(run, RunAction.APPROVE, actor=Actor.HEAD_OFFICE, by="wang", at=AT)


def test_o15_run_lifecycle_with_reopen() -> None:
    run = new_run(2025, today=date(2026, 1, 10))
    assert (run.status, run.editable, run.frozen) == (RunStatus.DRAFT, True, False)
    run = transition(run, RunAction.PROPOSE, actor=Actor.SUB_BRANCH, by="li", at=AT)
    assert run.status == RunStatus.PROPOSED
    assert not run.editable
    run = transition(run, RunAction.APPROVE, actor=Actor.HEAD_OFFICE, by="wang", at=AT)
    assert run.frozen
    run = transition(
        run, RunAction.REOPEN, actor=Actor.HEAD_OFFICE, by="wang", at=AT + timedelta(days=3)
    )
    assert run.status == RunStatus.REOPENED
    assert run.editable
    ensure_editable(run)
    run = transition(
        run, RunAction.PROPOSE, actor=Actor.SUB_BRANCH, by="li", at=AT + timedelta(days=4)
    )
    run = transition(
        run, RunAction.APPROVE, actor=Actor.HEAD_OFFICE, by="wang", at=AT + timedelta(days=5)
    )
    assert run.frozen
    assert [(t.from_status, t.to_status) for t in run.history] == [
        (RunStatus.DRAFT, RunStatus.PROPOSED),
        (RunStatus.PROPOSED, RunStatus.APPROVED),
        (RunStatus.APPROVED, RunStatus.REOPENED),
        (RunStatus.REOPENED, RunStatus.PROPOSED),
        (RunStatus.PROPOSED, RunStatus.APPROVED),
    ]
    assert run.history[0].by == "li"


@pytest.mark.parametrize(
    ("steps", "action", "actor"),
    [
        ([], RunAction.APPROVE, Actor.HEAD_OFFICE),  # draft cannot be approved
        ([], RunAction.REOPEN, Actor.HEAD_OFFICE),  # only an approved run reopens
        ([RunAction.PROPOSE], RunAction.PROPOSE, Actor.SUB_BRANCH),
        ([RunAction.PROPOSE], RunAction.REOPEN, Actor.HEAD_OFFICE),
        ([RunAction.PROPOSE, RunAction.APPROVE], RunAction.APPROVE, Actor.HEAD_OFFICE),
        ([RunAction.PROPOSE, RunAction.APPROVE], RunAction.PROPOSE, Actor.SUB_BRANCH),
        ([], RunAction.PROPOSE, Actor.HEAD_OFFICE),  # wrong actor
        ([RunAction.PROPOSE], RunAction.APPROVE, Actor.SUB_BRANCH),  # wrong actor
    ],
)
def test_o15_invalid_transitions_raise(
    steps: list[RunAction], action: RunAction, actor: Actor
) -> None:
    actors = {RunAction.PROPOSE: Actor.SUB_BRANCH}
    run = GradingRun(2025)
    for step in steps:
        run = transition(run, step, actor=actors.get(step, Actor.HEAD_OFFICE), by="x", at=AT)
    with pytest.raises(RuleError) as err:
        transition(run, action, actor=actor, by="x", at=AT)
    assert err.value.rule == "O15"
    assert str(err.value).startswith("O15:")


def test_o15_approved_and_proposed_runs_are_not_editable() -> None:
    with pytest.raises(RuleError, match="O15"):
        ensure_editable(_approved_run())


def test_o15_a_run_needs_a_closed_year_and_a_named_actor() -> None:
    with pytest.raises(RuleError, match="O15") as err:
        new_run(2026, today=date(2026, 12, 31))
    assert err.value.field == "/year"
    with pytest.raises(RuleError, match="named"):
        transition(GradingRun(2025), RunAction.PROPOSE, actor=Actor.SUB_BRANCH, by="", at=AT)


def test_o15_steps_cannot_go_back_in_time() -> None:
    run = transition(GradingRun(2025), RunAction.PROPOSE, actor=Actor.SUB_BRANCH, by="li", at=AT)
    with pytest.raises(RuleError, match="earlier"):
        transition(
            run, RunAction.APPROVE, actor=Actor.HEAD_OFFICE, by="w", at=AT - timedelta(hours=1)
        )


# --- O4 protection period ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("appointed", "year", "protected"),
    [
        (date(2024, 1, 2), 2025, True),  # one day short of 2 full years at the end of 2025
        (date(2024, 1, 1), 2025, False),  # exactly 2 years served by 2025-12-31
        (date(2023, 12, 31), 2025, False),
        (date(2025, 6, 1), 2025, True),
        (date(2024, 6, 1), 2026, False),
    ],
)
def test_o4_protection_period_both_sides_of_two_years(
    appointed: date, year: int, protected: bool
) -> None:
    assert in_protection(appointed, year, POLICY) is protected


def test_o4_protection_end_dates() -> None:
    assert protection_end(date(2024, 1, 2), POLICY) == date(2026, 1, 2)
    assert protection_end(date(2024, 2, 29), POLICY) == date(2026, 3, 1)
    assert protection_end(date(2024, 1, 2), replace(POLICY, protection_years=3)) == date(2027, 1, 2)


def test_o4_appointment_after_the_graded_year_is_refused() -> None:
    with pytest.raises(RuleError, match="O4"):
        in_protection(date(2026, 1, 1), 2025, POLICY)


def _pay(appointed: date, grade: Grade | None, pre: str = "1.9") -> Any:
    return protected_pay(
        appointment_date=appointed,
        year=2025,
        grade=grade,
        performance_pay=D("30000"),
        pre_appointment_coefficient=D(pre),
        pre_appointment_performance_pay=D("35000"),
        policy=POLICY,
    )


def test_o4_protected_pay_takes_the_higher_of_pre_appointment_and_grade() -> None:
    inside = _pay(date(2024, 1, 2), Grade.THREE)
    assert inside.protected
    assert (inside.coefficient, inside.performance_pay) == (D("1.9"), D("35000"))
    higher_grade = _pay(date(2024, 1, 2), Grade.ONE)
    assert higher_grade.coefficient == D("2.0")
    outside = _pay(date(2024, 1, 1), Grade.THREE)
    assert not outside.protected
    assert (outside.coefficient, outside.performance_pay) == (D("1.6"), D("30000"))


def test_o4_disqualified_inside_protection_keeps_initial_grade_3() -> None:
    inside = _pay(date(2024, 1, 2), None, pre="1.2")
    assert (inside.grade_coefficient, inside.coefficient) == (D("1.6"), D("1.6"))
    outside = _pay(date(2024, 1, 1), None)
    assert outside.coefficient is None


def test_o4_negative_pay_is_refused() -> None:
    with pytest.raises(RuleError, match="O4") as err:
        protected_pay(
            appointment_date=date(2024, 1, 2),
            year=2025,
            grade=Grade.ONE,
            performance_pay=D(-1),
            pre_appointment_coefficient=D(1),
            pre_appointment_performance_pay=D(1),
            policy=POLICY,
        )
    assert err.value.field == "/performance_pay"


# --- O5 leaving the post -------------------------------------------------------------------


def test_o5_below_60_after_protection_leaves_post_for_six_months_collection() -> None:
    d = post_decision(
        appointment_date=date(2020, 3, 1),
        year=2025,
        score=D("59.99"),
        decision_date=date(2026, 1, 20),
        policy=POLICY,
    )
    assert d.leaves_post
    assert not d.protected
    assert (d.collection_start, d.collection_end) == (date(2026, 1, 20), date(2026, 7, 19))
    assert d.explanation.startswith("O5")


@pytest.mark.parametrize(
    ("appointed", "score", "leaves"),
    [
        (date(2020, 3, 1), "60", False),  # at the threshold: stays
        (date(2024, 1, 2), "40", False),  # inside protection: stays
        (date(2024, 1, 1), "40", True),  # just out of protection: leaves
    ],
)
def test_o5_who_leaves_the_post(appointed: date, score: str, leaves: bool) -> None:
    d = post_decision(
        appointment_date=appointed,
        year=2025,
        score=D(score),
        decision_date=date(2026, 1, 20),
        policy=POLICY,
    )
    assert d.leaves_post is leaves
    assert (d.collection_start is None) is not leaves


def test_o5_month_end_clamp_and_decision_date_check() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    d = post_decision(
        appointment_date=date(2020, 3, 1),
        year=2025,
        score=D(10),
        decision_date=date(2026, 8, 31),
        policy=POLICY,
    )
    assert d.collection_end == date(2027, 2, 27)
    with pytest.raises(RuleError, match="O5"):
        post_decision(
            appointment_date=date(2020, 3, 1),
            year=2025,
            score=D(10),
            decision_date=date(2025, 12, 31),
            policy=POLICY,
        )


# --- properties ----------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
positive_money = st.decimals(
    min_value=D("0.01"), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
)


@given(loans=st.integers(0, 10**6), average=positive_money)
def test_o8_volume_stays_in_range(loans: int, average: Decimal) -> None:
    assert 0 <= score_volume(loans, average, POLICY).points <= 30


@given(income=money, average=money)
def test_o9_interest_stays_in_range(income: Decimal, average: Decimal) -> None:
    assert 0 <= score_interest(income, average, POLICY).points <= 70


@given(npl=money, managed=money)
def test_o10_quality_stays_in_range(npl: Decimal, managed: Decimal) -> None:
    assert 0 <= score_quality(npl, managed, POLICY).points <= 40


@settings(max_examples=60)
@given(
    others=st.lists(st.tuples(st.integers(0, 500), money), min_size=0, max_size=6),
    loans=st.integers(0, 500),
    income=money,
    more=positive_money,
)
def test_o13_total_is_monotone_in_income(
    others: list[tuple[int, Decimal]], loans: int, income: Decimal, more: Decimal
) -> None:
    peers = [fig(f"p{i}", loans=n, income=str(m)) for i, (n, m) in enumerate(others)]
    low = grade_all([fig("me", loans=loans, income=str(income)), *peers], POLICY)[0]
    high = grade_all([fig("me", loans=loans, income=str(income + more)), *peers], POLICY)[0]
    assert high.score >= low.score
    assert high.interest.points >= low.interest.points


@settings(max_examples=60)
@given(others=st.lists(st.integers(0, 500), max_size=6), loans=st.integers(0, 500))
def test_o13_total_is_monotone_in_loans(others: list[int], loans: int) -> None:
    peers = [fig(f"p{i}", loans=n) for i, n in enumerate(others)]
    low = grade_all([fig("me", loans=loans), *peers], POLICY)[0]
    high = grade_all([fig("me", loans=loans + 1), *peers], POLICY)[0]
    assert high.score >= low.score


@settings(max_examples=80)
@given(
    npl=money,
    managed=money,
    serious=st.integers(0, 2),
    criticisms=st.integers(0, 3),
)
def test_o6_o12_grade_never_better_than_score_or_caps(
    npl: Decimal, managed: Decimal, serious: int, criticisms: int
) -> None:
    r = alone(
        fig(npl=str(npl), managed=str(managed), serious_violations=serious, criticisms=criticisms)
    )
    assert r.score == r.volume.points + r.interest.points + r.quality.points - r.deductions.points
    assert r.grade_by_score == grade_for_score(r.score, POLICY)
    if r.grade_by_score is None:
        assert r.grade is None
    else:
        assert r.grade is not None
        assert r.grade >= r.grade_by_score
        for cap in r.caps:
            assert r.grade >= cap.max_grade
    if serious:
        assert Cap.SERIOUS_VIOLATION in [c.cap for c in r.caps]
