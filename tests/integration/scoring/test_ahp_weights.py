"""POST /v1/ahp/weights: the AHP calculator (S3-S5, S13); it reports, it does not reject."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.integration.scoring.conftest import Scoring

THIRD = 1 / 3


async def weights(scoring: Scoring, body: dict[str, Any]) -> Any:
    return await scoring.client.post("/v1/ahp/weights", json=body)


async def test_s3_s4_consistent_matrix_weights_and_report(scoring: Scoring) -> None:
    # w = (4, 2, 1) / 7 exactly: a_ij = w_i / w_j is perfectly consistent, lambda_max = n = 3.
    response = await weights(scoring, {"matrix": [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]]})
    assert response.status_code == 200
    body = response.json()
    assert np.allclose(body["weights"], [4 / 7, 2 / 7, 1 / 7], atol=1e-12)
    assert body["lambda_max"] == pytest.approx(3.0, abs=1e-12)
    assert body["ri"] == 0.58
    assert body["cr"] == pytest.approx(0.0, abs=1e-12)
    assert body["consistent"] is True
    assert body["worst_judgment"] is None
    assert "experts" not in body


async def test_s4_inconsistent_matrix_is_reported_with_the_worst_judgment(
    scoring: Scoring,
) -> None:
    # A cycle A > B > C > A: CR far above 0.10; for n = 3 the tie goes to (0, 1).
    response = await weights(scoring, {"matrix": [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]})
    assert response.status_code == 200
    body = response.json()
    assert body["consistent"] is False
    assert body["cr"] > 0.10
    assert body["worst_judgment"] == {"i": 0, "j": 1}


async def test_s4_threshold_is_a_parameter(scoring: Scoring) -> None:
    matrix = [[1, 3, 5], [THIRD, 1, 1], [0.2, 1, 1]]
    loose = (await weights(scoring, {"matrix": matrix, "cr_threshold": 0.5})).json()
    strict = (await weights(scoring, {"matrix": matrix, "cr_threshold": 0.0001})).json()
    assert loose["cr"] == strict["cr"] > 0
    assert loose["consistent"] is True
    assert strict["consistent"] is False


async def test_s5_group_geometric_mean_and_per_expert_reports(scoring: Scoring) -> None:
    a = [[1, 2], [0.5, 1]]
    b = [[1, 8], [0.125, 1]]
    body = (await weights(scoring, {"matrices": [a, b]})).json()
    # geometric mean of 2 and 8 is 4: weights (0.8, 0.2)
    assert np.allclose(body["weights"], [0.8, 0.2], atol=1e-12)
    assert len(body["experts"]) == 2
    assert np.allclose(body["experts"][1]["weights"], [8 / 9, 1 / 9], atol=1e-12)


async def test_s13_fuzzy_triples_use_buckley(scoring: Scoring) -> None:
    matrix = [[1, [1, 2, 3]], [[THIRD, 0.5, 1], 1]]
    body = (await weights(scoring, {"matrix": matrix})).json()
    assert body["fuzzy"] is True
    # r1 = (1, 2^.5, 3^.5), r2 = (1/3^.5, 1/2^.5, 1); w1 = centroid of (r1l/sum_u, r1m/sum_m,
    # r1u/sum_l), normalised with w2.
    r1 = np.sqrt([1, 2, 3])
    r2 = np.sqrt([THIRD, 0.5, 1])
    total = r1 + r2
    c1 = (r1[0] / total[2] + r1[1] / total[1] + r1[2] / total[0]) / 3
    c2 = (r2[0] / total[2] + r2[1] / total[1] + r2[2] / total[0]) / 3
    assert np.allclose(body["weights"], [c1 / (c1 + c2), c2 / (c1 + c2)], atol=1e-12)


@pytest.mark.parametrize(
    ("body", "pointer", "rule"),
    [
        ({"matrix": [[1, 3], [3, 1]]}, "/matrix/1/0", "S4"),  # not reciprocal
        ({"matrix": [[1, -3], [THIRD, 1]]}, "/matrix/0/1", "S4"),  # not positive
        ({"matrix": [[1, 0], [0, 1]]}, "/matrix/0/1", "S4"),  # zero
        ({"matrix": [[1, 10], [0.1, 1]]}, "/matrix/0/1", "S4"),  # off Saaty's scale
        ({"matrix": [[1, 2.5], [0.4, 1]]}, "/matrix/0/1", "S4"),  # between scale values
        ({"matrix": [[1, 2, 3], [0.5, 1]]}, "/matrix/0", "S4"),  # not square
        ({"matrix": [[2, 1], [1, 1]]}, "/matrix/0/0", "S4"),  # diagonal not 1
        ({"matrix": []}, "/matrix", "S4"),
        ({"matrix": "abc"}, "/matrix", "S4"),
        ({"matrix": [[1, "3"], [THIRD, 1]]}, "/matrix/0/1", "S4"),
        ({"matrix": [[1, True], [1, 1]]}, "/matrix/0/1", "S4"),
        ({"matrix": [[1, None], [1, 1]]}, "/matrix/0/1", "S4"),
        ({"matrix": [[1.0] * 16 for _ in range(16)]}, "/matrix", "S4"),  # no RI beyond 15
        ({"matrix": [[1, [3, 2, 1]], [[1, 0.5, THIRD], 1]]}, "/matrix/0/1", "S13"),  # l > u
        ({"matrix": [[1, [1, 2]], [[0.5, 1], 1]]}, "/matrix/0/1", "S13"),  # not a triple
        ({"matrix": [[1, [1, 2, 3]], [[1, 0.5, 1], 1]]}, "/matrix/1/0", "S13"),  # not 1/u..1/l
        ({"matrices": [[[1, 2], [0.5, 1]], [[1]]]}, "/matrices", "S5"),  # orders differ
        ({"matrices": []}, "/matrices", "S5"),
        ({"matrices": [[[1, 2], [2, 1]]]}, "/matrices/0/1/0", "S4"),  # the expert is named
        ({}, "", "S3"),
        ({"matrix": [[1]], "matrices": [[[1]]]}, "", "S3"),
    ],
)
async def test_s4_s5_s13_bad_judgments_are_422_naming_the_entry(
    scoring: Scoring, body: dict[str, Any], pointer: str, rule: str
) -> None:
    response = await weights(scoring, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["pointer"] == pointer
    assert problem["detail"].startswith(f"{rule}:")


async def test_s4_threshold_out_of_range_is_422(scoring: Scoring) -> None:
    response = await weights(scoring, {"matrix": [[1]], "cr_threshold": 1.5})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/cr_threshold"


async def test_s3_issue17_pairs_left_out_are_completed_and_reported(scoring: Scoring) -> None:
    """a_02 left out (null both sides) of a consistent pair of judgments: completed to 6, the
    matrix then consistent; a panel completes each expert's own gaps."""
    matrix = [[1, 2, None], [0.5, 1, 3], [None, THIRD, 1]]
    response = await weights(scoring, {"matrix": matrix})
    assert response.status_code == 200, response.text
    body = response.json()
    ((filled),) = body["completed"]
    assert (filled["i"], filled["j"]) == (0, 2)
    assert filled["value"] == pytest.approx(6, rel=1e-8)
    assert np.allclose(body["weights"], [0.6, 0.3, 0.1], atol=1e-8)
    assert body["lambda_max"] == pytest.approx(3, abs=1e-9)
    other = [[1, 4, 2], [0.25, 1, 0.5], [0.5, 2, 1]]
    panel = (await weights(scoring, {"matrices": [matrix, other]})).json()
    assert [len(e["completed"]) for e in panel["experts"]] == [1, 0]
    assert "completed" not in panel


async def test_s3_issue17_a_disconnected_matrix_is_422_naming_the_criteria(
    scoring: Scoring,
) -> None:
    matrix = [[1, 2, None, None], [0.5, 1, None, None], [None, None, 1, 3], [None, None, THIRD, 1]]
    response = await weights(scoring, {"matrix": matrix})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["errors"][0]["pointer"] == "/matrix"
    assert "S3" in body["errors"][0]["detail"]
    assert "criteria 2, 3 cannot be reached from 0" in body["errors"][0]["detail"]
