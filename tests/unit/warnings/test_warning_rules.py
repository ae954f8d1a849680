"""Warning kinds, levels, policy, escalation, group contagion and lifecycle (warnings.md W1-W4,
W10)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.warnings.policy import DayBand, LevelPolicy, PolicyError
from services.warnings.rules import (
    ContagionTarget,
    Escalation,
    TransitionError,
    WarningAction,
    WarningState,
    adverse_change,
    allowed_actions,
    decide_escalation,
    group_contagion_targets,
    is_open,
    level_for_classification,
    level_for_financial_anomaly,
    level_for_group_contagion,
    level_for_interest_arrears,
    level_for_major_event,
    level_for_management,
    level_for_pre_maturity,
    next_state,
)
from services.warnings.vocabulary import (
    Direction,
    LoanClass,
    MajorEventKind,
    PreMaturityOutcome,
    RuleInputError,
    WarningCategory,
    WarningKind,
    WarningLevel,
)

Y, O, R = WarningLevel.YELLOW, WarningLevel.ORANGE, WarningLevel.RED  # noqa: E741
POLICY = LevelPolicy.default()
levels = st.sampled_from(list(WarningLevel))
quiet = settings(database=None, max_examples=200)


# -- W1-W3 vocabulary ---------------------------------------------------------------------------


def test_w3_levels_are_ordered_yellow_orange_red() -> None:
    assert Y < O < R
    assert R > O > Y
    assert Y <= Y
    assert R >= R
    assert sorted([R, Y, O]) == [Y, O, R]
    assert max(Y, R, O) is R
    assert [level.rank for level in (Y, O, R)] == [1, 2, 3]


def test_w3_levels_do_not_compare_with_plain_strings() -> None:
    with pytest.raises(TypeError):
        _ = Y < "red"


@pytest.mark.parametrize(
    ("kind", "category"),
    [
        (WarningKind.PRE_MATURITY, WarningCategory.BUSINESS),
        (WarningKind.CLASSIFICATION, WarningCategory.BUSINESS),
        (WarningKind.INTEREST_ARREARS, WarningCategory.BUSINESS),
        (WarningKind.MAJOR_EVENT, WarningCategory.BUSINESS),
        (WarningKind.GROUP_CONTAGION, WarningCategory.BUSINESS),
        (WarningKind.FINANCIAL_ANOMALY, WarningCategory.BUSINESS),
        (WarningKind.BEYOND_AUTHORITY, WarningCategory.MANAGEMENT),
        (WarningKind.DISGUISED_BEYOND_AUTHORITY, WarningCategory.MANAGEMENT),
        (WarningKind.RULE_BREAKING, WarningCategory.MANAGEMENT),
        (WarningKind.PRECONDITIONS_UNMET, WarningCategory.MANAGEMENT),
    ],
)
def test_w1_w2_kind_category(kind: WarningKind, category: WarningCategory) -> None:
    assert kind.category is category


# -- W1c/W4 interest arrears --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, None), (1, Y), (15, Y), (30, Y), (31, O), (60, O), (90, O), (91, R), (365, R)],
)
def test_w1c_w4_interest_arrears_day_bands(days: int, expected: WarningLevel | None) -> None:
    assert level_for_interest_arrears(days, POLICY) is expected


def test_w1c_interest_arrears_negative_days_is_an_input_error() -> None:
    with pytest.raises(RuleInputError) as err:
        level_for_interest_arrears(-1, POLICY)
    assert (err.value.field, err.value.rule) == ("days", "W1c")


def test_w4_interest_arrears_bands_follow_the_company_policy() -> None:
    policy = LevelPolicy(interest_arrears=(DayBand(1, Y), DayBand(15, O), DayBand(60, R)))
    assert [level_for_interest_arrears(d, policy) for d in (14, 15, 59, 60)] == [Y, O, O, R]


# -- W1a/W4 pre-maturity ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "overdue_elsewhere", "expected"),
    [
        (PreMaturityOutcome.EXPECTED_REPAID, False, None),
        (PreMaturityOutcome.EXPECTED_REPAID, True, None),
        (PreMaturityOutcome.CANNOT_CONFIRM, False, Y),
        (PreMaturityOutcome.CANNOT_CONFIRM, True, Y),
        (PreMaturityOutcome.EXPECTED_UNPAID, False, O),
        (PreMaturityOutcome.EXPECTED_UNPAID, True, R),
    ],
)
def test_w1a_w4_pre_maturity_outcomes(
    outcome: PreMaturityOutcome, overdue_elsewhere: bool, expected: WarningLevel | None
) -> None:
    assert level_for_pre_maturity(outcome, overdue_elsewhere, POLICY) is expected


# -- W1b/W4 classification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "tier", "expected"),
    [
        (LoanClass.NORMAL, None, None),
        (LoanClass.NORMAL, 2, None),
        (LoanClass.SPECIAL_MENTION, None, None),
        (LoanClass.SPECIAL_MENTION, 1, None),
        (LoanClass.SPECIAL_MENTION, 2, None),
        (LoanClass.SPECIAL_MENTION, 3, Y),
        (LoanClass.SUBSTANDARD, None, O),
        (LoanClass.SUBSTANDARD, 1, O),
        (LoanClass.DOUBTFUL, None, R),
        (LoanClass.LOSS, None, R),
    ],
)
def test_w1b_w4_classification_targets(
    target: LoanClass, tier: int | None, expected: WarningLevel | None
) -> None:
    assert level_for_classification(target, tier, POLICY) is expected


@pytest.mark.parametrize("tier", [0, 4, -1])
def test_w1b_classification_tier_out_of_range_is_an_input_error(tier: int) -> None:
    with pytest.raises(RuleInputError) as err:
        level_for_classification(LoanClass.SPECIAL_MENTION, tier, POLICY)
    assert (err.value.field, err.value.rule) == ("tier", "W1b")


# -- W1d, W1e -----------------------------------------------------------------------------------


@pytest.mark.parametrize("event", list(MajorEventKind))
def test_w1d_w4_major_event_is_always_red(event: MajorEventKind) -> None:
    assert level_for_major_event(event) is R


@pytest.mark.parametrize("level", [Y, O, R])
def test_w1e_w4_group_contagion_copies_the_source_level(level: WarningLevel) -> None:
    assert level_for_group_contagion(level) is level


# -- W1f/W4 financial anomaly -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "old", "new", "expected"),
    [
        ("revenue", "1000", "810", None),  # -19 %
        ("revenue", "1000", "800", Y),  # -20 %, bound included
        ("revenue", "1000", "700", O),
        ("revenue", "1000", "500", R),
        ("revenue", "1000", "1500", None),  # a rise is not adverse
        ("Revenue ", "1000", "800", Y),  # names are case-insensitive
        ("net_profit", "100", "-10", R),  # -110 %
        ("net_profit", "-100", "-200", R),  # losses doubled: -100 % of |old|
        ("net_profit", "0", "-5", R),  # from zero any fall is unbounded
        ("net_profit", "0", "5", None),
        ("net_profit", "0", "0", None),
        ("debt_to_asset_ratio", "0.60", "0.65", None),
        ("debt_to_asset_ratio", "0.60", "0.66", Y),
        ("debt_to_asset_ratio", "0.60", "0.72", O),
        ("debt_to_asset_ratio", "0.60", "0.78", R),
        ("debt_to_asset_ratio", "0.60", "0.30", None),
        ("current_ratio", "2.0", "1.7", Y),
        ("inventory", "100", "200", R),
        ("gross_margin", "0.40", "0.60", O),  # fallback: either way, 30/50/100 %
        ("gross_margin", "0.40", "0.20", O),
        ("gross_margin", "0.40", "0.45", None),
    ],
)
def test_w1f_w4_financial_anomaly_bands(
    indicator: str, old: str, new: str, expected: WarningLevel | None
) -> None:
    level = level_for_financial_anomaly(indicator, Decimal(old), Decimal(new), POLICY)
    assert level is expected


def test_w1f_adverse_change_sign_and_infinity() -> None:
    assert adverse_change(Direction.DECREASE, Decimal(200), Decimal(150)) == Decimal("0.25")
    assert adverse_change(Direction.INCREASE, Decimal(200), Decimal(150)) is None
    assert adverse_change(Direction.EITHER, Decimal(-200), Decimal(-150)) == Decimal("0.25")
    assert adverse_change(Direction.INCREASE, Decimal(0), Decimal(1)) == Decimal("Infinity")


def test_w1f_non_finite_indicator_value_is_an_input_error() -> None:
    with pytest.raises(RuleInputError) as err:
        level_for_financial_anomaly("revenue", Decimal("NaN"), Decimal(1), POLICY)
    assert (err.value.field, err.value.rule) == ("old", "W1f")


# -- W2/W4 management ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (WarningKind.BEYOND_AUTHORITY, R),
        (WarningKind.DISGUISED_BEYOND_AUTHORITY, R),
        (WarningKind.RULE_BREAKING, O),
        (WarningKind.PRECONDITIONS_UNMET, O),
    ],
)
def test_w2_w4_management_levels(kind: WarningKind, expected: WarningLevel) -> None:
    assert level_for_management(kind, POLICY) is expected


def test_w2_business_kind_has_no_management_level() -> None:
    with pytest.raises(RuleInputError) as err:
        level_for_management(WarningKind.MAJOR_EVENT, POLICY)
    assert (err.value.field, err.value.rule) == ("kind", "W2")


# -- W4 level policy as JSON --------------------------------------------------------------------


def test_w4_policy_default_round_trips_through_json() -> None:
    data = json.loads(json.dumps(POLICY.to_dict()))
    assert LevelPolicy.from_dict(data) == POLICY
    assert data["interest_arrears"] == [
        {"from_days": 1, "level": "yellow"},
        {"from_days": 31, "level": "orange"},
        {"from_days": 91, "level": "red"},
    ]
    assert data["classification"]["special_mention_tiers"] == {"3": "yellow"}
    assert data["financial_anomaly"]["indicators"]["revenue"]["bands"][0] == {
        "from_change": "0.20",
        "level": "yellow",
    }


def test_w4_policy_partial_dict_keeps_the_other_defaults() -> None:
    policy = LevelPolicy.from_dict(
        {
            "classification": {"substandard": "red", "special_mention_tiers": {"2": "yellow"}},
            "management": {"rule_breaking": "red"},
            "financial_anomaly": {
                "indicators": {
                    "revenue": {
                        "direction": "decrease",
                        "bands": [{"from_change": 0.1, "level": "orange"}],
                    }
                }
            },
        }
    )
    assert level_for_classification(LoanClass.SUBSTANDARD, None, policy) is R
    assert level_for_classification(LoanClass.SPECIAL_MENTION, 2, policy) is Y
    assert level_for_classification(LoanClass.SPECIAL_MENTION, 3, policy) is None
    assert level_for_management(WarningKind.RULE_BREAKING, policy) is R
    assert level_for_interest_arrears(31, policy) is O
    assert level_for_financial_anomaly("revenue", Decimal(100), Decimal(90), policy) is O
    # a given indicator map replaces the defaults whole: net_profit now uses the fallback
    assert level_for_financial_anomaly("net_profit", Decimal(100), Decimal(60), policy) is Y


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"interest_arrears": {"from_days": 1}}, "interest_arrears"),
        ({"interest_arrears": [{"from_days": 1, "level": "purple"}]}, "interest_arrears[0].level"),
        ({"interest_arrears": [{"level": "yellow"}]}, "interest_arrears[0].from_days"),
        (
            {"interest_arrears": [{"from_days": "1", "level": "yellow"}]},
            "interest_arrears[0].from_days",
        ),
        (
            {"interest_arrears": [{"from_days": 2, "level": "yellow"}]},
            "interest_arrears[0].from_days",
        ),
        ({"interest_arrears": []}, "interest_arrears"),
        (
            {
                "interest_arrears": [
                    {"from_days": 1, "level": "yellow"},
                    {"from_days": 1, "level": "red"},
                ]
            },
            "interest_arrears[1].from_days",
        ),
        (
            {
                "interest_arrears": [
                    {"from_days": 1, "level": "orange"},
                    {"from_days": 30, "level": "yellow"},
                ]
            },
            "interest_arrears[1].level",
        ),
        ({"pre_maturity": []}, "pre_maturity"),
        ({"pre_maturity": {"cannot_confirm": None}}, "pre_maturity.cannot_confirm"),
        ({"classification": {"substandard": "pink"}}, "classification.substandard"),
        (
            {"classification": {"special_mention_tiers": {"4": "yellow"}}},
            "classification.special_mention_tiers.4",
        ),
        (
            {"classification": {"special_mention_tiers": {"x": "yellow"}}},
            "classification.special_mention_tiers.x",
        ),
        (
            {"financial_anomaly": {"indicators": {"revenue": {"direction": "down", "bands": []}}}},
            "financial_anomaly.indicators.revenue.direction",
        ),
        (
            {
                "financial_anomaly": {
                    "indicators": {
                        "revenue": {
                            "direction": "decrease",
                            "bands": [{"from_change": "abc", "level": "red"}],
                        }
                    }
                }
            },
            "financial_anomaly.indicators.revenue.bands[0].from_change",
        ),
        (
            {
                "financial_anomaly": {
                    "fallback": {
                        "direction": "either",
                        "bands": [{"from_change": "0", "level": "red"}],
                    }
                }
            },
            "financial_anomaly.fallback.bands[0].from_change",
        ),
        (
            {
                "financial_anomaly": {
                    "indicators": {"revenue": {"direction": "decrease", "bands": []}}
                }
            },
            "financial_anomaly.indicators.revenue.bands",
        ),
        ({"management": {"beyond_authority": "green"}}, "management.beyond_authority"),
    ],
)
def test_w4_policy_from_dict_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(PolicyError) as err:
        LevelPolicy.from_dict(data)
    assert err.value.field == field
    assert err.value.rule == "W4"
    assert str(err.value).startswith(f"W4: {field}: ")
    assert isinstance(err.value, ValueError)


def test_w4_policy_rejects_upper_case_indicator_names() -> None:
    rule = POLICY.to_dict()["financial_anomaly"]["indicators"]["revenue"]
    with pytest.raises(PolicyError) as err:
        LevelPolicy.from_dict({"financial_anomaly": {"indicators": {"Revenue": rule}}})
    assert err.value.field == "financial_anomaly.indicators.Revenue"


# -- W4 escalation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        (Y, Y, Escalation(Y, False)),
        (Y, O, Escalation(O, True)),
        (Y, R, Escalation(R, True)),
        (O, Y, Escalation(O, False)),
        (O, R, Escalation(R, True)),
        (R, Y, Escalation(R, False)),
        (R, R, Escalation(R, False)),
    ],
)
def test_w4_escalation_only_upward(
    current: WarningLevel, incoming: WarningLevel, expected: Escalation
) -> None:
    assert decide_escalation(current, incoming) == expected


@quiet
@given(start=levels, signals=st.lists(levels, max_size=12))
def test_w4_escalation_never_lowers(start: WarningLevel, signals: list[WarningLevel]) -> None:
    level = start
    for incoming in signals:
        decision = decide_escalation(level, incoming)
        assert decision.level >= level
        assert decision.escalated == (decision.level > level)
        level = decision.level
    assert level == max([start, *signals])


# -- W1e group contagion ------------------------------------------------------------------------

GROUPS = {"G1": {"A", "B", "C"}, "G2": {"A", "B", "D"}, "G3": {"E", "F"}}
WITH_LOANS = {"A", "B", "D", "F"}


def test_w1e_contagion_reaches_related_borrowers_with_loans_once() -> None:
    targets = group_contagion_targets(
        "A",
        O,
        source_kind=WarningKind.INTEREST_ARREARS,
        groups=GROUPS,
        borrowers_with_loans=WITH_LOANS,
    )
    assert targets == (ContagionTarget("B", O, "G1"), ContagionTarget("D", O, "G2"))


@pytest.mark.parametrize(
    ("source", "kind", "expected"),
    [
        ("E", WarningKind.MAJOR_EVENT, ("F",)),
        ("F", WarningKind.MAJOR_EVENT, ()),  # E has no loans here
        ("Z", WarningKind.MAJOR_EVENT, ()),  # in no group
        ("A", WarningKind.GROUP_CONTAGION, ()),  # contagion does not chain
        ("A", WarningKind.BEYOND_AUTHORITY, ()),  # management warnings do not spread
    ],
)
def test_w1e_contagion_scope(source: str, kind: WarningKind, expected: tuple[str, ...]) -> None:
    targets = group_contagion_targets(
        source, R, source_kind=kind, groups=GROUPS, borrowers_with_loans=WITH_LOANS
    )
    assert tuple(t.borrower_id for t in targets) == expected
    assert all(t.level is R for t in targets)


@quiet
@given(
    groups=st.dictionaries(
        st.sampled_from(["G1", "G2", "G3"]), st.sets(st.sampled_from("ABCDEF")), max_size=3
    ),
    with_loans=st.sets(st.sampled_from("ABCDEF")),
    source=st.sampled_from("ABCDEF"),
    level=levels,
)
def test_w1e_contagion_properties(
    groups: dict[str, set[str]], with_loans: set[str], source: str, level: WarningLevel
) -> None:
    targets = group_contagion_targets(
        source,
        level,
        source_kind=WarningKind.FINANCIAL_ANOMALY,
        groups=groups,
        borrowers_with_loans=with_loans,
    )
    ids = [t.borrower_id for t in targets]
    assert source not in ids
    assert len(ids) == len(set(ids))
    assert set(ids) <= with_loans
    for t in targets:
        assert t.level is level
        assert {source, t.borrower_id} <= groups[t.via_group]


# -- W10 lifecycle ------------------------------------------------------------------------------

S, A = WarningState, WarningAction


def _walk(
    actions: list[WarningAction],
    head_office_required: bool,
    category: WarningCategory = WarningCategory.BUSINESS,
) -> WarningState:
    state = S.RAISED
    for action in actions:
        state = next_state(state, action, head_office_required, category=category)
    return state


@pytest.mark.parametrize(
    ("actions", "head_office_required", "category", "end"),
    [
        ([A.REPORT_TO_BRANCH, A.START_MITIGATION, A.RESOLVE], False, "business", S.RESOLVED),
        ([A.REPORT_TO_BRANCH, A.RESOLVE], False, "business", S.RESOLVED),
        (
            [A.REPORT_TO_BRANCH, A.REPORT_TO_HEAD_OFFICE, A.START_MITIGATION, A.WRITE_OFF],
            True,
            "business",
            S.WRITTEN_OFF,
        ),
        ([A.REPORT_TO_BRANCH, A.REPORT_TO_HEAD_OFFICE, A.RESOLVE], True, "business", S.RESOLVED),
        ([A.REPORT_TO_HEAD_OFFICE, A.START_MITIGATION, A.RESOLVE], True, "management", S.RESOLVED),
        ([A.REPORT_TO_HEAD_OFFICE, A.START_MITIGATION], False, "management", S.UNDER_MITIGATION),
    ],
)
def test_w10_lifecycle_paths(
    actions: list[WarningAction], head_office_required: bool, category: str, end: WarningState
) -> None:
    assert _walk(actions, head_office_required, WarningCategory(category)) is end
    assert not is_open(end) or end is S.UNDER_MITIGATION


@pytest.mark.parametrize(
    ("actions", "head_office_required", "category", "message"),
    [
        ([A.RESOLVE], False, "business", "never reported to the branch"),
        ([A.WRITE_OFF], True, "business", "never reported to the branch"),
        ([A.START_MITIGATION], False, "business", "never reported to the branch"),
        ([A.REPORT_TO_HEAD_OFFICE], True, "business", "report to the branch before head office"),
        ([A.REPORT_TO_BRANCH, A.REPORT_TO_BRANCH], False, "business", "already reported"),
        ([A.REPORT_TO_BRANCH, A.REPORT_TO_HEAD_OFFICE], False, "business", "W7 amount"),
        ([A.REPORT_TO_BRANCH, A.RESOLVE], True, "business", "head-office report W7 requires"),
        ([A.REPORT_TO_BRANCH, A.WRITE_OFF], False, "business", "write-off follows mitigation"),
        (
            [A.REPORT_TO_BRANCH, A.START_MITIGATION, A.START_MITIGATION],
            False,
            "business",
            "already under way",
        ),
        ([A.REPORT_TO_BRANCH, A.RESOLVE, A.RESOLVE], False, "business", "warning is resolved"),
        ([A.REPORT_TO_BRANCH], True, "management", "no branch step"),
        ([A.RESOLVE], True, "management", "never reported to head office"),
        (
            [A.REPORT_TO_HEAD_OFFICE, A.REPORT_TO_HEAD_OFFICE],
            True,
            "management",
            "already reported to head office",
        ),
    ],
)
def test_w10_invalid_transitions_name_the_rule(
    actions: list[WarningAction], head_office_required: bool, category: str, message: str
) -> None:
    with pytest.raises(TransitionError) as err:
        _walk(actions, head_office_required, WarningCategory(category))
    assert err.value.rule == "W10"
    assert str(err.value).startswith("W10: ")
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("state", "head_office_required", "category", "expected"),
    [
        (S.RAISED, True, "business", {A.REPORT_TO_BRANCH}),
        (S.RAISED, True, "management", {A.REPORT_TO_HEAD_OFFICE}),
        (S.REPORTED_TO_BRANCH, False, "business", {A.START_MITIGATION, A.RESOLVE}),
        (S.REPORTED_TO_BRANCH, True, "business", {A.REPORT_TO_HEAD_OFFICE}),
        (S.REPORTED_TO_HEAD_OFFICE, True, "business", {A.START_MITIGATION, A.RESOLVE}),
        (S.UNDER_MITIGATION, False, "business", {A.RESOLVE, A.WRITE_OFF}),
        (S.RESOLVED, True, "business", set()),
        (S.WRITTEN_OFF, False, "management", set()),
    ],
)
def test_w10_allowed_actions(
    state: WarningState, head_office_required: bool, category: str, expected: set[WarningAction]
) -> None:
    assert allowed_actions(state, head_office_required, WarningCategory(category)) == expected


@quiet
@given(
    actions=st.lists(st.sampled_from(list(WarningAction)), max_size=8),
    head_office_required=st.booleans(),
    category=st.sampled_from(list(WarningCategory)),
)
def test_w10_every_accepted_action_is_listed_and_closed_states_are_final(
    actions: list[WarningAction], head_office_required: bool, category: WarningCategory
) -> None:
    state = S.RAISED
    for action in actions:
        allowed = allowed_actions(state, head_office_required, category)
        try:
            new = next_state(state, action, head_office_required, category=category)
        except TransitionError:
            assert action not in allowed
            continue
        assert action in allowed
        assert is_open(state)
        state = new
