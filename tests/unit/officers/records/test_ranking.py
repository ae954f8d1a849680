"""Monthly ranking O36: retraining, pairing, pair bonus, elimination flags."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.officers.kernel.rules import RuleError
from services.officers.records.rules import (
    EliminationCheck,
    MonthlyRanking,
    MonthlyScore,
    Pairing,
    RankingPolicy,
    YearMonth,
    elimination_checks,
    pair_bonuses,
    rank_month,
    review_year,
)

D = Decimal
POLICY = RankingPolicy.default()
JAN = YearMonth(2025, 1)


def scores(**by_id: int | str) -> list[MonthlyScore]:
    return [MonthlyScore(officer_id, D(str(value))) for officer_id, value in by_id.items()]


def ten(**overrides: int) -> list[MonthlyScore]:
    """o1 (100) best ... o10 (10) worst, with some scores overridden."""
    base = {f"o{i}": 110 - 10 * i for i in range(1, 11)}
    base.update(overrides)
    return scores(**base)


def ranking_with_bottom(month: YearMonth, *bottom: str) -> MonthlyRanking:
    """Twelve officers; the named ones score lowest, the others are new each month."""
    by_id: dict[str, int] = {f"{month}-x{i}": 100 + i for i in range(12 - len(bottom))}
    by_id.update({officer_id: i for i, officer_id in enumerate(bottom)})
    return rank_month(month, scores(**by_id), POLICY)


def checks_by_id(rankings: list[MonthlyRanking], year: int) -> dict[str, EliminationCheck]:
    return {c.officer_id: c for c in elimination_checks(rankings, year=year, policy=POLICY)}


def test_o36_policy_defaults_and_round_trip() -> None:
    p = RankingPolicy.default()
    assert (p.bottom_count, p.top_count, p.bonus_top_rank) == (3, 3, 10)
    assert (p.elimination_consecutive_months, p.elimination_times_per_year) == (2, 3)
    data = json.loads(json.dumps(p.to_dict()))
    assert RankingPolicy.from_dict(data) == p
    assert RankingPolicy.from_dict({"bottom_count": 5}).bottom_count == 5


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"bottom_count": 0}, "/bottom_count"),
        ({"top_count": "3"}, "/top_count"),
        ({"pair_bonus_points": "-1"}, "/pair_bonus_points"),
        ({"whatever": 1}, "/whatever"),
    ],
)
def test_o36_policy_from_dict_names_the_bad_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleError) as err:
        RankingPolicy.from_dict(data)
    assert (err.value.rule, err.value.field) == ("O36", field)


def test_o36_bottom_three_go_to_retraining_paired_with_top_three() -> None:
    r = rank_month(JAN, ten(), POLICY)
    assert r.top == ("o1", "o2", "o3")
    assert r.bottom == ("o10", "o9", "o8")  # worst first
    assert r.retraining == r.bottom
    assert [(p.trainee_id, p.mentor_id) for p in r.pairs] == [
        ("o10", "o1"),
        ("o9", "o2"),
        ("o8", "o3"),
    ]
    assert [line.rank for line in r.officers] == list(range(1, 11))
    assert r.rank_of("o4") == 4
    assert r.rank_of("nobody") is None


def test_o36_ties_share_a_rank_and_can_enlarge_a_group() -> None:
    r = rank_month(JAN, ten(o7=30), POLICY)  # o7 ties o8 at 30, third from the bottom
    assert r.rank_of("o7") == r.rank_of("o8") == 7
    assert r.bottom == ("o10", "o9", "o7", "o8")  # worst first, ties by officer id
    # the fourth trainee goes round to the best mentor again
    assert [(p.trainee_id, p.mentor_id) for p in r.pairs][-1] == ("o8", "o1")


def test_o36_small_group_splits_where_each_officer_stands_more_extremely() -> None:
    # b is 2nd from the top and 3rd from the bottom: top; c is 3rd vs 2nd: bottom.
    r = rank_month(JAN, scores(a=90, b=80, c=70, d=60), POLICY)
    assert r.top == ("a", "b")
    assert r.bottom == ("d", "c")
    assert r.pairs == (Pairing(JAN, "a", "d"), Pairing(JAN, "b", "c"))
    # Odd count: the middle officer stands equally (3rd both ways) and goes to the top.
    five = rank_month(JAN, scores(a=90, b=80, c=70, d=60, e=50), POLICY)
    assert (five.top, five.bottom) == (("a", "b", "c"), ("e", "d"))
    equal = rank_month(JAN, scores(a=5, b=5, c=5, d=5), POLICY)
    assert (equal.bottom, equal.pairs) == ((), ())


def test_o36_a_wide_tie_for_worst_all_go_to_retraining() -> None:
    r = rank_month(JAN, scores(a=1, b=0, c=0, d=0, e=0, f=0, g=0), POLICY)
    assert r.top == ("a",)
    assert r.bottom == ("b", "c", "d", "e", "f", "g")


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([MonthlyScore("a", D(1)), MonthlyScore("a", D(2))], "/scores/1/officer_id"),
        ([MonthlyScore("a", D("NaN"))], "/scores/0/score"),
        ([MonthlyScore("", D(1))], "/scores/0/officer_id"),
        ([MonthlyScore("a", 1.5)], "/scores/0/score"),  # type: ignore[arg-type]
    ],
)
def test_o36_bad_scores_are_refused(items: list[MonthlyScore], field: str) -> None:
    with pytest.raises(RuleError) as err:
        rank_month(JAN, items, POLICY)
    assert (err.value.rule, err.value.field) == ("O36", field)


def test_o36_month_must_be_a_calendar_month() -> None:
    with pytest.raises(RuleError, match="O36"):
        YearMonth(2025, 13)
    assert YearMonth(2025, 12).next() == YearMonth(2026, 1)
    assert str(YearMonth(2025, 3)) == "2025-03"


@pytest.mark.parametrize(
    ("trainee_score", "rank", "awarded"),
    [
        (19, 10, True),  # exactly rank 10 of 12
        (10, 11, False),  # rank 11
        (105, 1, True),
    ],
)
def test_o36_pair_bonus_when_the_trainee_reaches_the_top_ten(
    trainee_score: int, rank: int, awarded: bool
) -> None:
    jan = rank_month(JAN, ten(), POLICY)
    feb_scores = {f"o{i}": 110 - 10 * i for i in range(1, 10)} | {"n1": 15, "n2": 5}
    feb_scores["o10"] = trainee_score
    feb = rank_month(YearMonth(2025, 2), scores(**feb_scores), POLICY)
    bonus = {b.pairing.trainee_id: b for b in pair_bonuses(jan, feb, POLICY)}["o10"]
    assert bonus.trainee_rank == rank
    assert bonus.awarded is awarded
    assert bonus.points == (D(1) if awarded else D(0))
    assert bonus.officer_ids == (("o1", "o10") if awarded else ())


def test_o36_pair_bonus_needs_the_next_month_and_a_ranked_trainee() -> None:
    jan = rank_month(JAN, ten(), POLICY)
    march = rank_month(YearMonth(2025, 3), ten(), POLICY)
    with pytest.raises(RuleError, match="O36"):
        pair_bonuses(jan, march, POLICY)
    feb = rank_month(YearMonth(2025, 2), scores(o1=1, o2=2), POLICY)
    assert all(not b.awarded and b.trainee_rank is None for b in pair_bonuses(jan, feb, POLICY))


def test_o36_two_months_in_a_row_flags_elimination() -> None:
    rankings = [
        ranking_with_bottom(YearMonth(2025, 3), "a"),
        ranking_with_bottom(YearMonth(2025, 4), "a"),
    ]
    check = checks_by_id(rankings, 2025)["a"]
    assert (check.flagged, check.longest_run) == (True, 2)
    assert check.reasons == ("O36 bottom 2 months in a row",)


def test_o36_two_months_apart_do_not_flag_but_three_in_a_year_do() -> None:
    two = [
        ranking_with_bottom(YearMonth(2025, 3), "a"),
        ranking_with_bottom(YearMonth(2025, 5), "a"),
    ]
    check = checks_by_id(two, 2025)["a"]
    assert (check.flagged, check.times_in_year, check.longest_run) == (False, 2, 1)
    three = [*two, ranking_with_bottom(YearMonth(2025, 9), "a")]
    check = checks_by_id(three, 2025)["a"]
    assert check.flagged
    assert check.reasons == ("O36 bottom 3 times in 2025",)


def test_o36_a_month_out_of_the_bottom_or_unranked_breaks_the_run() -> None:
    rankings = [
        ranking_with_bottom(YearMonth(2025, 3), "a", "b"),
        ranking_with_bottom(YearMonth(2025, 4), "b"),  # a not in the bottom in April
        ranking_with_bottom(YearMonth(2025, 6), "a", "b"),  # no ranking in May
    ]
    checks = checks_by_id(rankings, 2025)
    assert (checks["a"].flagged, checks["a"].longest_run) == (False, 1)
    assert (checks["b"].flagged, checks["b"].longest_run) == (True, 2)
    assert checks["b"].times_in_year == 3


def test_o36_december_to_january_run_counts_for_the_new_year() -> None:
    rankings = [
        ranking_with_bottom(YearMonth(2024, 12), "a"),
        ranking_with_bottom(YearMonth(2025, 1), "a"),
    ]
    old = checks_by_id(rankings, 2024)["a"]
    new = checks_by_id(rankings, 2025)["a"]
    assert (old.flagged, new.flagged) == (False, True)
    assert new.bottom_months == (YearMonth(2025, 1),)


def test_o36_the_same_month_twice_is_refused() -> None:
    r = ranking_with_bottom(JAN, "a")
    with pytest.raises(RuleError, match="twice"):
        elimination_checks([r, r], year=2025, policy=POLICY)


def test_o36_review_year_ties_it_together() -> None:
    jan = {f"o{i}": 160 - 10 * i for i in range(1, 16)}  # o1 150 ... o15 10
    feb = jan | {"o15": 300}  # o15 climbs from the bottom to rank 1
    monthly = {
        YearMonth(2025, 1): scores(**jan),  # bottom o15, o14, o13
        YearMonth(2025, 2): scores(**feb),  # bottom o14, o13, o12
        YearMonth(2025, 3): scores(**feb),  # bottom o14, o13, o12
    }
    review = review_year(monthly, year=2025, policy=POLICY)
    assert len(review.rankings) == 3
    awarded = [b.officer_ids for b in review.bonuses if b.awarded]
    assert awarded == [("o1", "o15")]
    assert len(review.bonuses) == 6
    assert set(review.flagged) == {"o12", "o13", "o14"}


ids = st.lists(st.sampled_from([f"o{i}" for i in range(30)]), min_size=0, max_size=30, unique=True)


@given(officer_ids=ids, data=st.data())
def test_o36_groups_are_disjoint_and_every_trainee_is_paired(
    officer_ids: list[str], data: st.DataObject
) -> None:
    values = data.draw(st.lists(st.integers(0, 5), min_size=len(officer_ids), max_size=30))
    items = [MonthlyScore(i, D(v)) for i, v in zip(officer_ids, values, strict=False)]
    r = rank_month(JAN, items, POLICY)
    assert not set(r.top) & set(r.bottom)
    assert sorted(p.trainee_id for p in r.pairs) == sorted(r.bottom)
    assert all(p.mentor_id in r.top for p in r.pairs)
    by_id = {line.officer_id: line for line in r.officers}
    for line in r.officers:
        better = sum(1 for other in r.officers if other.score > line.score)
        assert line.rank == better + 1
    if len(items) > POLICY.top_count + POLICY.bottom_count and len({i.score for i in items}) > 1:
        assert r.bottom
    for officer_id in r.bottom:
        assert by_id[officer_id].rank_from_bottom <= POLICY.bottom_count
