"""Pairwise-comparison math: scoring.md S3, S4, S5, S6, S13."""

from __future__ import annotations

import math
import warnings

import ahpy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.ahp import (
    RANDOM_INDEX,
    SAATY_SCALE,
    AhpError,
    aggregate_judgments,
    batch_consistency,
    batch_principal_eigen,
    check_order,
    consistency,
    find_order_violation,
    fuzzy_weights,
    judge,
    judgment_to_dict,
    random_index,
    validate_fuzzy_matrix,
    validate_matrix,
    validate_weights,
    worst_judgment,
)

THIRD, FIFTH = 1 / 3, 1 / 5


def reciprocal(upper: np.ndarray, n: int) -> np.ndarray:
    a = np.ones((n, n))
    i, j = np.triu_indices(n, 1)
    a[i, j] = upper
    a[j, i] = 1 / upper
    return a


def eig_weights(a: np.ndarray) -> tuple[np.ndarray, float]:
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    v = np.abs(vectors[:, k].real)
    return v / v.sum(), float(values[k].real)


scale_matrices = st.integers(1, 15).flatmap(
    lambda n: st.lists(
        st.sampled_from(SAATY_SCALE), min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2
    ).map(lambda up: reciprocal(np.array(up, dtype=float), n))
)


# --- S3 weights --------------------------------------------------------------------------


def test_s3_s4_worked_example_consistent_3x3() -> None:
    # A = [[1, 2, 4], [1/2, 1, 2], [1/4, 1/2, 1]] has a_ij = w_i / w_j for w = (4, 2, 1) / 7:
    # A w = (4/7 + 2*2/7 + 4*1/7, ...) = 3 w, so lambda_max = n = 3, CI = (3 - 3) / 2 = 0, CR = 0.
    report = consistency([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])
    assert report.weights == pytest.approx((4 / 7, 2 / 7, 1 / 7), abs=1e-15)
    assert report.lambda_max == pytest.approx(3.0, abs=1e-13)
    assert report.ci == pytest.approx(0.0, abs=1e-13)
    assert report.ri == 0.58
    assert report.cr == pytest.approx(0.0, abs=1e-13)
    assert report.consistent


def test_s3_s4_worked_example_inconsistent_3x3() -> None:
    # A = [[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]]. For n = 3 the principal eigenvector is the
    # normalised row geometric mean: g = (15^(1/3), 1, (1/15)^(1/3)) = (2.46621, 1, 0.40548),
    # sum 3.87169, w = (0.63699, 0.25828, 0.10473).
    # lambda_max = 1 + (a13 / (a12 a23))^(1/3) + (a12 a23 / a13)^(1/3)
    #            = 1 + (5/9)^(1/3) + (9/5)^(1/3) = 1 + 0.82207 + 1.21644 = 3.03851,
    # CI = 0.03851 / 2 = 0.019256, CR = 0.019256 / 0.58 = 0.03320 < 0.10.
    report = consistency([[1, 3, 5], [THIRD, 1, 3], [FIFTH, THIRD, 1]])
    g = np.array([15 ** (1 / 3), 1.0, (1 / 15) ** (1 / 3)])
    assert report.weights == pytest.approx(tuple(g / g.sum()), abs=1e-14)
    assert report.weights == pytest.approx((0.63699, 0.25828, 0.10473), abs=1e-5)
    lam = 1 + (5 / 9) ** (1 / 3) + (9 / 5) ** (1 / 3)
    assert report.lambda_max == pytest.approx(lam, abs=1e-13)
    assert report.ci == pytest.approx((lam - 3) / 2, abs=1e-13)
    assert report.cr == pytest.approx((lam - 3) / 2 / 0.58, abs=1e-13)
    assert report.cr == pytest.approx(0.03320, abs=1e-5)
    assert report.consistent


def test_s3_order_one_and_two() -> None:
    one = consistency([[1]])
    assert (one.weights, one.lambda_max, one.ci, one.cr) == ((1.0,), 1.0, 0.0, 0.0)
    assert one.worst is None
    two = consistency([[1, 3], [THIRD, 1]])
    assert two.weights == pytest.approx((0.75, 0.25), abs=1e-15)
    assert two.cr == 0.0  # S4: CR = 0 for n <= 2


@settings(max_examples=150, deadline=None)
@given(scale_matrices)
def test_s3_weights_sum_to_one_and_match_numpy_eig(a: np.ndarray) -> None:
    w, lam = batch_principal_eigen(a[None])
    expected, expected_lam = eig_weights(a)
    assert w[0].sum() == pytest.approx(1.0, abs=1e-14)
    assert np.all(w[0] > 0)
    assert np.max(np.abs(w[0] - expected)) <= 1e-9
    assert lam[0] == pytest.approx(expected_lam, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(0.05, 20.0), min_size=1, max_size=15).map(lambda x: np.array(x) / sum(x)))
def test_s3_s4_perfectly_consistent_matrix_recovers_w_with_cr_zero(w: np.ndarray) -> None:
    a = w[:, None] / w[None, :]  # a_ij = w_i / w_j (off Saaty's scale, which is fine here)
    report = consistency(a)
    assert np.max(np.abs(np.array(report.weights) - w)) <= 1e-12
    assert report.lambda_max == pytest.approx(len(w), abs=1e-11)
    assert report.cr <= 1e-12


def test_s3_batch_matches_eig_on_random_9x9() -> None:
    rng = np.random.default_rng(3)
    a = np.stack([reciprocal(rng.choice(SAATY_SCALE, size=36), 9) for _ in range(2000)])
    batch = batch_consistency(a)
    values, vectors = np.linalg.eig(a)
    top = np.argmax(values.real, axis=1)
    rows = np.arange(a.shape[0])
    v = np.abs(vectors[rows, :, top].real)
    v /= v.sum(axis=1, keepdims=True)
    assert np.max(np.abs(batch.weights - v)) <= 1e-9
    assert np.max(np.abs(batch.lambda_max - values[rows, top].real)) <= 1e-9
    assert np.allclose(batch.cr, (batch.lambda_max - 9) / 8 / 1.45, atol=1e-12)
    assert batch.ri == 1.45


def test_s3_batch_equals_single_matrix_path() -> None:
    rng = np.random.default_rng(5)
    a = np.stack([reciprocal(rng.choice(SAATY_SCALE, size=10), 5) for _ in range(20)])
    batch = batch_consistency(a)
    for k in range(20):
        single = consistency(a[k])
        assert np.max(np.abs(np.array(single.weights) - batch.weights[k])) <= 1e-15
        assert single.cr == pytest.approx(float(batch.cr[k]), abs=1e-14)


def test_s3_eig_fallback_for_matrices_that_do_not_converge(monkeypatch: pytest.MonkeyPatch) -> None:
    # With no squarings allowed nothing converges, so every matrix takes numpy's eig path.
    import services.scoring.ahp as ahp_module

    rng = np.random.default_rng(9)
    a = np.stack([reciprocal(rng.choice(SAATY_SCALE, size=21), 7) for _ in range(50)])
    fast = batch_consistency(a)
    monkeypatch.setattr(ahp_module, "_MAX_SQUARINGS", 0)
    slow = batch_consistency(a)
    assert np.max(np.abs(fast.weights - slow.weights)) <= 1e-12
    assert np.max(np.abs(fast.lambda_max - slow.lambda_max)) <= 1e-11


def test_s4_ahp_error_is_a_value_error_with_fields() -> None:
    err = AhpError("S4", "/matrix/2/1", "must be the reciprocal of entry (1, 2)", row=3)
    assert isinstance(err, ValueError)
    assert (err.rule, err.pointer, err.row) == ("S4", "/matrix/2/1", 3)
    assert "S4" in str(err)
    assert "/matrix/2/1" in str(err)


@pytest.mark.parametrize("n", [3, 5, 9, 12])
def test_s3_agrees_with_ahpy(n: int) -> None:
    # AHPy rounds its weights to `precision` decimals; 12 is the highest it handles reliably
    # (at 14+ its unnormalised repeated squaring overflows to NaN for some random 9x9 matrices),
    # so it delivers |w - w_AHPy| <= 5e-13; we assert the brief's 1e-9 (and 1e-12 with margin).
    rng = np.random.default_rng(n)
    names = [f"c{k}" for k in range(n)]
    i, j = np.triu_indices(n, 1)
    for _ in range(25):
        a = reciprocal(rng.choice(SAATY_SCALE, size=i.size), n)
        pairs = {(names[p], names[q]): float(a[p, q]) for p, q in zip(i, j, strict=True)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = ahpy.Compare("m", pairs, precision=12, random_index="saaty")
        w_ahpy = np.array([theirs.local_weights[nm] for nm in names])
        ours = np.array(consistency(a).weights)
        assert np.max(np.abs(ours - w_ahpy)) <= 1e-9
        assert np.max(np.abs(ours - w_ahpy)) <= 1e-12


# --- S4 consistency ------------------------------------------------------------------------


def test_s4_random_index_table_exactly_as_spec() -> None:
    spec = [0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59]
    assert list(RANDOM_INDEX) == spec
    assert [random_index(n) for n in range(1, 16)] == spec
    with pytest.raises(AhpError):
        random_index(16)


def test_s4_inconsistent_3x3_worst_judgment_tie_goes_to_first_pair() -> None:
    # a12 = 9, a13 = 1/9, a23 = 9 is a cycle: lambda_max = 1 + (a13/(a12 a23))^(1/3) + (..)^(-1/3)
    # = 1 + (1/729)^(1/3) + 729^(1/3) = 1 + 1/9 + 9 = 10.111, CI = 3.5556, CR = 6.13 >= 0.10.
    # For n = 3 every |ln a_ij - ln(w_i/w_j)| equals (1/3)|ln(a12 a23 / a13)| = ln 9: a tie, so
    # the first pair in row-major order, (0, 1), is named.
    a = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    report = consistency(a)
    assert report.lambda_max == pytest.approx(1 + 1 / 9 + 9, abs=1e-12)
    assert report.cr == pytest.approx((1 / 9 + 9 - 2) / 2 / 0.58, abs=1e-12)
    assert not report.consistent
    assert report.worst == (0, 1)


def test_s4_worst_judgment_names_the_odd_comparison() -> None:
    # Consistent w = (8, 4, 2, 1)/15 except a14, set to 1/8 instead of 8: that entry departs
    # most from the derived weights.
    w = np.array([8, 4, 2, 1]) / 15
    a = w[:, None] / w[None, :]
    a[0, 3], a[3, 0] = 1 / 8, 8
    assert worst_judgment(a, consistency(a).weights) == (0, 3)


def test_s4_cr_threshold_is_a_parameter() -> None:
    a = [[1, 3, 5], [THIRD, 1, 3], [FIFTH, THIRD, 1]]  # CR = 0.0332
    assert consistency(a, threshold=0.10).consistent
    assert not consistency(a, threshold=0.03).consistent


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        ("nope", "/matrix"),
        ([], "/matrix"),
        ([[1, 2], [0.5]], "/matrix/1"),
        ([[1, 2], 0.5], "/matrix/1"),
        ([[1, 2, 3], [0.5, 1, 2]], "/matrix/0"),
        ([[1, 0], [0.5, 1]], "/matrix/0/1"),
        ([[1, -3], [THIRD, 1]], "/matrix/0/1"),
        ([[1, float("nan")], [1, 1]], "/matrix/0/1"),
        ([[1, float("inf")], [1, 1]], "/matrix/0/1"),
        ([[1, "3"], [THIRD, 1]], "/matrix/0/1"),
        ([[1, True], [1, 1]], "/matrix/0/1"),
        ([[1, None], [1, 1]], "/matrix/0/1"),
        ([[1, 10], [0.1, 1]], "/matrix/0/1"),
        ([[1, 2.5], [0.4, 1]], "/matrix/0/1"),
        ([[1, 0.3], [3, 1]], "/matrix/0/1"),
        ([[1, 10**400], [1, 1]], "/matrix/0/1"),
        ([[2, 1], [1, 1]], "/matrix/0/0"),
        ([[1, 3, 5], [THIRD, 1, 3], [FIFTH, 3, 1]], "/matrix/2/1"),
        ([[1, 3], [3, 1]], "/matrix/1/0"),
        ([[1] * 16 for _ in range(16)], "/matrix"),
    ],
)
def test_s4_bad_matrix_raises_with_rule_and_pointer(raw: object, pointer: str) -> None:
    with pytest.raises(AhpError) as err:
        validate_matrix(raw)
    assert err.value.rule == "S4"
    assert err.value.pointer == pointer
    assert err.value.detail


def test_s4_scale_tolerance_snaps_rounded_reciprocals() -> None:
    # Two-decimal reciprocals are the scale values they round from (SCALE_ATOL = 0.006).
    a = validate_matrix([[1, 3, 8, 9], [0.33, 1, 7, 6], [0.13, 0.14, 1, 2], [0.11, 0.167, 0.5, 1]])
    assert a[1, 0] == 1 / 3
    assert a[2, 0] == 1 / 8
    assert a[3, 0] == 1 / 9
    assert a[3, 1] == 1 / 6
    assert np.all(a * a.T == pytest.approx(1.0, abs=1e-15))
    assert validate_matrix([[1, 3], [0.333, 1]])[1, 0] == 1 / 3


def test_s4_off_scale_mode_accepts_any_positive_reciprocal() -> None:
    a = validate_matrix([[1, 2.5], [0.4, 1]], on_scale=False)
    assert a[1, 0] == 1 / 2.5
    with pytest.raises(AhpError) as err:
        validate_matrix([[1, 2.5], [0.5, 1]], on_scale=False)
    assert (err.value.rule, err.value.pointer) == ("S4", "/matrix/1/0")


def test_s4_pointer_prefix_is_the_callers() -> None:
    with pytest.raises(AhpError) as err:
        validate_matrix([[1, 3], [3, 1]], pointer="/root/comparisons")
    assert err.value.pointer == "/root/comparisons/1/0"


def test_s4_judgment_report_for_http_names_worst_only_when_inconsistent() -> None:
    ok = judgment_to_dict(judge([[1, 3, 5], [THIRD, 1, 3], [FIFTH, THIRD, 1]]))
    assert ok["consistent"] is True
    assert ok["worst_judgment"] is None
    assert set(ok) == {"weights", "lambda_max", "ci", "ri", "cr", "consistent", "worst_judgment"}
    bad = judgment_to_dict(judge([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]))
    assert bad["consistent"] is False
    assert bad["worst_judgment"] == {"i": 0, "j": 1}


# --- S5 group judgment ---------------------------------------------------------------------


def test_s5_geometric_mean_worked_example() -> None:
    # Two experts: a12 = 2 and a12 = 8 -> sqrt(2 * 8) = 4, a21 = 1/4. Weights (0.8, 0.2).
    combined = aggregate_judgments([[[1, 2], [0.5, 1]], [[1, 8], [0.125, 1]]])
    assert combined[0, 1] == pytest.approx(4.0, abs=1e-14)
    assert combined[1, 0] == 1 / combined[0, 1]
    j = judge([[[1, 2], [0.5, 1]], [[1, 8], [0.125, 1]]], group=True)
    assert j.weights == pytest.approx((0.8, 0.2), abs=1e-14)
    assert [e.weights for e in j.experts] == [
        pytest.approx((2 / 3, 1 / 3), abs=1e-14),
        pytest.approx((8 / 9, 1 / 9), abs=1e-14),
    ]


def test_s5_consistency_per_expert_and_on_combined_matrix() -> None:
    good = [[1, 3, 5], [THIRD, 1, 3], [FIFTH, THIRD, 1]]
    cyclic = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    j = judge([good, good, cyclic], group=True)
    assert [e.consistent for e in j.experts] == [True, True, False]
    combined = aggregate_judgments([validate_matrix(x) for x in (good, good, cyclic)])
    assert j.report.cr == pytest.approx(consistency(combined).cr, abs=1e-15)
    assert np.all(combined * combined.T == pytest.approx(1.0, abs=1e-15))  # reciprocity kept


@pytest.mark.parametrize(
    ("raw", "rule", "pointer"),
    [
        ([], "S5", "/matrices"),
        ("x", "S5", "/matrices"),
        ([[[1, 2], [0.5, 1]], [[1, 2, 3], [0.5, 1, 2], [THIRD, 0.5, 1]]], "S5", "/matrices"),
        ([[[1, 2], [0.5, 1]], [[1, 2], [2, 1]]], "S4", "/matrices/1/1/0"),
    ],
)
def test_s5_bad_group_raises(raw: object, rule: str, pointer: str) -> None:
    with pytest.raises(AhpError) as err:
        judge(raw, group=True, pointer="/matrices")
    assert (err.value.rule, err.value.pointer) == (rule, pointer)


# --- S6 ordering ---------------------------------------------------------------------------


def test_s6_order_violation_names_pair() -> None:
    codes = ("U11", "U12", "U13", "U14")
    assert find_order_violation(codes, (0.4, 0.3, 0.2, 0.1), codes) is None
    assert find_order_violation(codes, (0.4, 0.2, 0.3, 0.1), codes) == (1, "U12", "U13")
    assert find_order_violation(codes, (0.3, 0.3, 0.3, 0.1), ("U11", "U12")) == (0, "U11", "U12")
    with pytest.raises(AhpError) as err:
        check_order(codes, (0.4, 0.2, 0.3, 0.1), codes, pointer="/root/order")
    assert (err.value.rule, err.value.pointer) == ("S6", "/root/order/2")
    assert "U12" in err.value.detail
    assert "U13" in err.value.detail


# --- S3 direct weights ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "n", "pointer"),
    [
        ([0.5, 0.5, 0.0, 0.1], 4, "/weights"),
        ([0.5], 2, "/weights"),
        ([0.7, 0.4], 2, "/weights"),
        ([1.2, -0.2], 2, "/weights/1"),
        (["a", 1], 2, "/weights/0"),
        ("0.5,0.5", 2, "/weights"),
    ],
)
def test_s3_bad_direct_weights(raw: object, n: int, pointer: str) -> None:
    with pytest.raises(AhpError) as err:
        validate_weights(raw, n)
    assert (err.value.rule, err.value.pointer) == ("S3", pointer)


def test_s3_direct_weights_within_1e9() -> None:
    assert validate_weights([0.5, 0.5 + 5e-10], 2) == (0.5, 0.5 + 5e-10)


# --- S13 fuzzy judgments -------------------------------------------------------------------


def test_s13_buckley_worked_example() -> None:
    # 2x2 with a12 = (1, 2, 3), a21 = (1/3, 1/2, 1).
    # Row geometric means: r1 = (sqrt(1*1), sqrt(2), sqrt(3)) = (1, 1.41421, 1.73205),
    #                      r2 = (sqrt(1/3), sqrt(1/2), 1) = (0.57735, 0.70711, 1).
    # Sums: l 1.57735, m 2.12132, u 2.73205.
    # w1 = (1/2.73205, 1.41421/2.12132, 1.73205/1.57735) = (0.36603, 0.66667, 1.09808),
    # w2 = (0.57735/2.73205, 0.70711/2.12132, 1/1.57735) = (0.21132, 0.33333, 0.63397).
    # Centroids: 0.71026, 0.39288; normalised: (0.64385, 0.35615).
    tfn = validate_fuzzy_matrix([[1, [1, 2, 3]], [[THIRD, 0.5, 1], 1]])
    w = fuzzy_weights(tfn)
    r1 = np.array([1, math.sqrt(2), math.sqrt(3)])
    r2 = np.array([math.sqrt(1 / 3), math.sqrt(0.5), 1])
    s = r1 + r2
    c1 = (r1[0] / s[2] + r1[1] / s[1] + r1[2] / s[0]) / 3
    c2 = (r2[0] / s[2] + r2[1] / s[1] + r2[2] / s[0]) / 3
    assert w == pytest.approx([c1 / (c1 + c2), c2 / (c1 + c2)], abs=1e-15)
    assert w == pytest.approx([0.64385, 0.35615], abs=1e-5)


def test_s13_consistency_on_m_values_and_crisp_triples_equal_geometric_mean() -> None:
    raw = [
        [1, [2, 3, 4], [4, 5, 6]],
        [[0.25, THIRD, 0.5], 1, [2, 3, 4]],
        [[1 / 6, 0.2, 0.25], [0.25, THIRD, 0.5], 1],
    ]
    j = judge(raw)
    assert j.fuzzy
    m_values = consistency([[1, 3, 5], [THIRD, 1, 3], [FIFTH, THIRD, 1]])
    assert j.report == m_values
    assert sum(j.weights) == pytest.approx(1.0, abs=1e-15)
    # (x, x, x) triples: Buckley reduces to the row geometric mean, which is the eigenvector
    # for n = 3.
    crisp = [[1, [3, 3, 3], [5, 5, 5]], [[THIRD] * 3, 1, [3, 3, 3]], [[FIFTH] * 3, [THIRD] * 3, 1]]
    assert judge(crisp).weights == pytest.approx(m_values.weights, abs=1e-14)


def test_s13_fuzzy_group_aggregates_componentwise() -> None:
    e1 = [[1, [1, 2, 3]], [[THIRD, 0.5, 1], 1]]
    e2 = [[1, [3, 4, 5]], [[0.2, 0.25, THIRD], 1]]
    j = judge([e1, e2], group=True)
    combined = aggregate_judgments([validate_fuzzy_matrix(e1), validate_fuzzy_matrix(e2)])
    assert combined[0, 1] == pytest.approx([math.sqrt(3), math.sqrt(8), math.sqrt(15)], abs=1e-14)
    assert combined[1, 0] == pytest.approx(1 / combined[0, 1][::-1], abs=1e-15)
    assert j.weights == pytest.approx(tuple(fuzzy_weights(combined)), abs=1e-15)
    assert len(j.experts) == 2


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        ([[1, [1, 2]], [[0.5, 1], 1]], "/matrix/0/1"),
        ([[1, [3, 2, 4]], [[0.25, 0.5, THIRD], 1]], "/matrix/0/1"),
        ([[1, [1, 2, 3]], [[THIRD, 0.5, 0.5], 1]], "/matrix/1/0"),
        ([[[1, 1, 2], [1, 2, 3]], [[THIRD, 0.5, 1], 1]], "/matrix/0/0"),
    ],
)
def test_s13_bad_fuzzy_matrix(raw: object, pointer: str) -> None:
    with pytest.raises(AhpError) as err:
        validate_fuzzy_matrix(raw)
    assert (err.value.rule, err.value.pointer) == ("S13", pointer)


def test_s13_fuzzy_entry_off_scale_is_s4() -> None:
    with pytest.raises(AhpError) as err:
        validate_fuzzy_matrix([[1, [1, 2, 11]], [[1 / 11, 0.5, 1], 1]])
    assert (err.value.rule, err.value.pointer) == ("S4", "/matrix/0/1/2")
