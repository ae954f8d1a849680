"""S3-S5, issue 17: incomplete judgment matrices, completed optimally (scoring completion.py)."""

from __future__ import annotations

import warnings

import ahpy
import numpy as np
import pytest

from services.scoring.ahp import AhpError, judge, judgment_to_dict
from services.scoring.completion import complete, unreachable

SCALE = [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1 / 2, 1, 2, 3, 5, 7, 9]


def perron(a: np.ndarray) -> tuple[float, np.ndarray]:
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    w = np.abs(vectors[:, k].real)
    return float(values[k].real), w / w.sum()


def random_incomplete(rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A random matrix on Saaty's scale with a quarter of its pairs left out, connected."""
    while True:
        n = int(rng.integers(4, 9))
        a = np.ones((n, n))
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
        for i, j in pairs:
            a[i, j] = rng.choice(SCALE)
            a[j, i] = 1 / a[i, j]
        gone = [pairs[k] for k in rng.choice(len(pairs), len(pairs) // 4, replace=False)]
        for i, j in gone:
            a[i, j] = a[j, i] = np.nan
        if not unreachable(a):
            return a, gone


def test_s3_issue17_the_optimal_completion_agrees_with_ahpy_on_50_random_matrices() -> None:
    """AHPy completes by cyclic coordinates with a bounded scalar search (its precision about
    1e-5 a value): the weights agree within 1e-5, and no AHPy completion has a lower
    lambda_max than ours."""
    rng = np.random.default_rng(17)
    for _ in range(50):
        a, gone = random_incomplete(rng)
        n = a.shape[0]
        ours, values = complete(a)
        assert [(i, j) for i, j, _ in values] == sorted(gone)
        names = [f"c{i}" for i in range(n)]
        given = {
            (names[i], names[j]): float(a[i, j])
            for i in range(n)
            for j in range(i + 1, n)
            if (i, j) not in gone
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = ahpy.Compare("node", given, precision=12, tolerance=1e-6)
        filled = a.copy()
        for (x, y), v in theirs._missing_comparisons.items():
            i, j = names.index(x), names.index(y)
            filled[i, j], filled[j, i] = v, 1 / v
        lam_ours, w_ours = perron(ours)
        lam_theirs, _ = perron(filled)
        assert lam_ours <= lam_theirs + 1e-12
        w_theirs = np.array([theirs.local_weights[c] for c in names])
        np.testing.assert_allclose(w_ours, w_theirs, atol=1e-5)


def test_s3_issue17_the_completion_is_the_minimum_of_lambda_max() -> None:
    """Moving any completed value either way raises lambda_max (convex: the minimum)."""
    rng = np.random.default_rng(3)
    for _ in range(10):
        a, _ = random_incomplete(rng)
        best, values = complete(a)
        lam, _ = perron(best)
        for i, j, v in values:
            for step in (np.exp(1e-4), np.exp(-1e-4)):
                moved = best.copy()
                moved[i, j], moved[j, i] = v * step, 1 / (v * step)
                assert perron(moved)[0] > lam


def test_s3_issue17_a_consistent_matrix_is_completed_consistently() -> None:
    """With a_01 = 2 and a_12 = 3 given, the consistent a_02 = 6 makes lambda_max = n."""
    a = np.array([[1, 2, np.nan], [1 / 2, 1, 3], [np.nan, 1 / 3, 1]])
    best, values = complete(a)
    ((i, j, v),) = values
    assert (i, j) == (0, 2)
    assert v == pytest.approx(6, rel=1e-8)
    assert perron(best)[0] == pytest.approx(3, abs=1e-9)


def test_s3_issue17_a_complete_matrix_is_left_as_it_is() -> None:
    a = np.array([[1, 3], [1 / 3, 1]])
    same, values = complete(a)
    assert values == ()
    assert same is a


def test_s3_issue17_judge_reports_the_completed_pairs_and_weights_them() -> None:
    raw = [[1, 3, None, 5], [1 / 3, 1, 2, None], [None, 1 / 2, 1, 3], [1 / 5, None, 1 / 3, 1]]
    body = judgment_to_dict(judge(raw))
    completed = body["completed"]
    assert isinstance(completed, list)
    assert [(c["i"], c["j"]) for c in completed] == [(0, 2), (1, 3)]
    filled = np.array([[1.0 if x is None else float(x) for x in row] for row in raw])
    for c in completed:
        filled[c["i"], c["j"]], filled[c["j"], c["i"]] = c["value"], 1 / c["value"]
    lam, w = perron(filled)
    assert body["lambda_max"] == pytest.approx(lam, rel=1e-9)
    np.testing.assert_allclose(body["weights"], w, atol=1e-9)


def test_s5_issue17_each_expert_is_completed_from_their_own_gaps() -> None:
    first = [[1, 2, None], [1 / 2, 1, 3], [None, 1 / 3, 1]]
    second = [[1, 4, 2], [1 / 4, 1, 1 / 2], [1 / 2, 2, 1]]
    body = judgment_to_dict(judge([first, second], group=True, pointer="/matrices"))
    experts = body["experts"]
    assert isinstance(experts, list)
    assert [(c["i"], c["j"]) for c in experts[0]["completed"]] == [(0, 2)]
    assert experts[0]["completed"][0]["value"] == pytest.approx(6, rel=1e-8)
    assert experts[1]["completed"] == []


@pytest.mark.parametrize(
    ("raw", "names", "named"),
    [
        (
            [[1, 2, None], [1 / 2, 1, None], [None, None, 1]],
            None,
            "criteria 2 cannot be reached from 0",
        ),
        (
            [
                [1, None, None, 3],
                [None, 1, 2, None],
                [None, 1 / 2, 1, None],
                [1 / 3, None, None, 1],
            ],
            ("U1", "U2", "U3", "U4"),
            "criteria U2, U3 cannot be reached from U1",
        ),
    ],
)
def test_s3_issue17_a_disconnected_matrix_is_refused_naming_the_criteria(
    raw: list[list[float | None]], names: tuple[str, ...] | None, named: str
) -> None:
    with pytest.raises(AhpError) as err:
        judge(raw, pointer="/matrix", names=names)
    assert (err.value.rule, err.value.pointer) == ("S3", "/matrix")
    assert named in err.value.detail


def test_s4_issue17_a_pair_left_out_on_one_side_only_is_refused() -> None:
    with pytest.raises(AhpError) as err:
        judge([[1, None], [2, 1]])
    assert (err.value.rule, err.value.pointer) == ("S4", "/matrix/0/1")
