"""Leaf memberships: scoring.md S7."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.ahp import AhpError
from services.scoring.membership import (
    measured_membership,
    validate_breakpoints,
    votes_membership,
)

DEBT = (0.30, 0.45, 0.60, 0.70, 0.85)  # debt-to-asset ratio: lower is better
CURRENT = (2.0, 1.5, 1.2, 1.0, 0.8)  # current ratio: higher is better


def test_s7_votes_worked_example() -> None:
    # 10 experts: 2 say 优, 5 良, 3 中 -> R = (2, 5, 3, 0, 0) / 10.
    assert votes_membership([2, 5, 3, 0, 0]).tolist() == [0.2, 0.5, 0.3, 0.0, 0.0]
    assert votes_membership([[0, 0, 0, 0, 1], [1, 1, 1, 1, 0]]).tolist() == [
        [0, 0, 0, 0, 1],
        [0.25, 0.25, 0.25, 0.25, 0],
    ]


@pytest.mark.parametrize(
    ("votes", "pointer", "row"),
    [
        ([1, 2, 3, 4], "/votes", None),
        ([[1, 2, 3, 4, 5, 6]], "/votes", None),
        ([1, -1, 3, 0, 0], "/votes/1", None),
        ([1, 2.5, 3, 0, 0], "/votes/1", None),
        ([0, 0, 0, 0, 0], "/votes", None),
        ([1, 0, float("nan"), 0, 0], "/votes/2", None),
        ([1, 0, float("inf"), 0, 0], "/votes/2", None),
        ([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0]], "/votes", 1),
        ([[1, 0, 0, 0, 0], [0, 0, 0, -2, 1]], "/votes/3", 1),
    ],
)
def test_s7_bad_votes(votes: object, pointer: str, row: int | None) -> None:
    with pytest.raises(AhpError) as err:
        votes_membership(votes)  # type: ignore[arg-type]
    assert (err.value.rule, err.value.pointer, err.value.row) == ("S7", pointer, row)


def test_s7_missing_vote_rows_pass_through_as_nan() -> None:
    out = votes_membership([[np.nan] * 5, [0, 1, 0, 0, 0]], allow_missing=True)
    assert np.isnan(out[0]).all()
    assert out[1].tolist() == [0, 1, 0, 0, 0]


def test_s7_measured_worked_example_lower_is_better() -> None:
    # Debt ratio 0.50 lies between the 良 breakpoint 0.45 and the 中 breakpoint 0.60:
    # r_良 = (0.60 - 0.50) / 0.15 = 2/3, r_中 = 1/3.
    assert measured_membership(0.50, DEBT) == pytest.approx([0, 2 / 3, 1 / 3, 0, 0], abs=1e-15)
    # At a breakpoint: fully that grade; beyond the outer breakpoints: fully the outer grade.
    values = np.array([0.30, 0.45, 0.60, 0.70, 0.85, 0.10, 0.99])
    expected = np.array(
        [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]
        + [[1, 0, 0, 0, 0], [0, 0, 0, 0, 1]]
    )
    assert measured_membership(values, DEBT).tolist() == expected.tolist()


def test_s7_measured_worked_example_higher_is_better() -> None:
    # Current ratio 1.1 between 中 (1.2) and 较差 (1.0): r_中 = (1.1 - 1.0) / 0.2 = 0.5.
    assert measured_membership(1.1, CURRENT) == pytest.approx([0, 0, 0.5, 0.5, 0], abs=1e-15)
    assert measured_membership(3.0, CURRENT).tolist() == [1, 0, 0, 0, 0]
    assert measured_membership(0.5, CURRENT).tolist() == [0, 0, 0, 0, 1]
    assert measured_membership(1.2, CURRENT).tolist() == [0, 0, 1, 0, 0]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=5, max_size=5, unique=True).map(sorted),
    st.booleans(),
    st.lists(st.floats(-2e6, 2e6), min_size=1, max_size=50),
)
def test_s7_memberships_sum_to_one(points: list[float], higher: bool, values: list[float]) -> None:
    bp = tuple(points[::-1]) if higher else tuple(points)
    out = measured_membership(np.array(values), bp)
    assert out.shape == (len(values), 5)
    assert np.all(out >= 0)
    assert np.all(out <= 1)
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-12)
    assert np.all((out > 0).sum(axis=1) <= 2)  # at most two adjacent grades


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), min_size=5, max_size=5), min_size=1, max_size=20))
def test_s7_vote_memberships_sum_to_one(votes: list[list[int]]) -> None:
    votes = [v if sum(v) else [1, 0, 0, 0, 0] for v in votes]
    out = votes_membership(np.array(votes))
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-15)


def test_s7_measured_value_must_be_finite() -> None:
    with pytest.raises(AhpError) as err:
        measured_membership(np.array([0.1, np.inf]), DEBT, pointer="/inputs/U121/value")
    assert (err.value.rule, err.value.pointer, err.value.row) == ("S7", "/inputs/U121/value", 1)
    out = measured_membership(np.array([np.nan, 0.3]), DEBT, allow_missing=True)
    assert np.isnan(out[0]).all()
    assert out[1].tolist() == [1, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("raw", "higher", "pointer"),
    [
        ([1, 2, 3, 4], None, "/breakpoints"),
        ([1, 2, 3, 3, 4], None, "/breakpoints"),
        ([1, 3, 2, 4, 5], None, "/breakpoints"),
        ([1, 2, "3", 4, 5], None, "/breakpoints/2"),
        ([1, 2, float("nan"), 4, 5], None, "/breakpoints/2"),
        ([1, 2, 3, 4, 5], True, "/breakpoints"),
        ([5, 4, 3, 2, 1], False, "/breakpoints"),
        (None, None, "/breakpoints"),
    ],
)
def test_s7_bad_breakpoints(raw: object, higher: object, pointer: str) -> None:
    with pytest.raises(AhpError) as err:
        validate_breakpoints(raw, higher)
    assert (err.value.rule, err.value.pointer) == ("S7", pointer)


def test_s7_direction_follows_breakpoints() -> None:
    assert validate_breakpoints(list(DEBT), None) == (DEBT, False)
    assert validate_breakpoints(list(CURRENT), True) == (CURRENT, True)
