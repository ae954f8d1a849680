"""Evaluation: scoring.md S7-S12 (vectorised), checked against hand-computed examples."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.ahp import AhpError
from services.scoring.evaluate import (
    BatchInputs,
    batch_memberships,
    batch_ratings,
    batch_summary,
    evaluate,
    evaluate_batch,
    evaluate_items,
    rating_to_dict,
    stack_inputs,
)
from services.scoring.tree import Grades, Leaf, Model, Node, compile_model, default_model_document

DEFAULT = compile_model(default_model_document())


def votes(code: str) -> Leaf:
    return Leaf(code=code, name=code.lower(), kind="votes")


# Two levels, no veto: U = 0.6 A + 0.4 B, A = 0.5 A1 + 0.5 A2.
PLAIN = Model(
    name="plain",
    grades=Grades(),
    root=Node(
        code="U",
        name="goal",
        weights=(0.6, 0.4),
        children=(
            Node(code="A", name="a", weights=(0.5, 0.5), children=(votes("A1"), votes("A2"))),
            votes("B"),
        ),
    ),
)

# The S11 shape: U = 0.75 U1 + 0.25 U2, U1 = 0.6 U11 + 0.4 U12, U2 = U21.
VETO = Model(
    name="veto",
    grades=Grades(),
    root=Node(
        code="U",
        name="goal",
        weights=(0.75, 0.25),
        children=(
            Node(
                code="U1",
                name="decisive",
                weights=(0.6, 0.4),
                children=(votes("U11"), votes("U12")),
            ),
            Node(code="U2", name="reference", weights=(1.0,), children=(votes("U21"),)),
        ),
    ),
)


def test_s8_s9_s10_s12_worked_example_two_levels_with_votes() -> None:
    # Votes: A1 (2, 2, 1, 0, 0) of 5 -> R_A1 = (0.4, 0.4, 0.2, 0, 0)
    #        A2 (0, 1, 3, 1, 0) of 5 -> R_A2 = (0, 0.2, 0.6, 0.2, 0)
    #        B  (0, 0, 1, 2, 1) of 4 -> R_B  = (0, 0, 0.25, 0.5, 0.25)
    # S8: B_A = 0.5 R_A1 + 0.5 R_A2 = (0.2, 0.3, 0.4, 0.1, 0)
    #     B_U = 0.6 B_A + 0.4 R_B = (0.12, 0.18, 0.24 + 0.1, 0.06 + 0.2, 0.1)
    #         = (0.12, 0.18, 0.34, 0.26, 0.10)
    # S9: C_U = 0.12*100 + 0.18*85 + 0.34*70 + 0.26*55 + 0.10*40
    #         = 12 + 15.3 + 23.8 + 14.3 + 4 = 69.4
    #     C_A = 20 + 25.5 + 28 + 5.5 = 79, C_B = 17.5 + 27.5 + 10 = 55,
    #     C_A1 = 40 + 34 + 14 = 88, C_A2 = 17 + 42 + 11 = 70
    # S10: 62.5 <= 69.4 < 77.5 -> 中, risk 一般; max membership 0.34 -> 中.
    # S12: global weights A1 = A2 = 0.6 * 0.5 = 0.3, B = 0.4;
    #      contributions 0.3*88 + 0.3*70 + 0.4*55 = 26.4 + 21 + 22 = 69.4.
    r = evaluate(
        PLAIN,
        {
            "A1": {"votes": [2, 2, 1, 0, 0]},
            "A2": {"votes": [0, 1, 3, 1, 0]},
            "B": {"votes": [0, 0, 1, 2, 1]},
        },
    )
    assert r.membership == pytest.approx((0.12, 0.18, 0.34, 0.26, 0.10), abs=1e-15)
    assert r.score == pytest.approx(69.4, abs=1e-12)
    assert (r.grade, r.grade_by_max_membership, r.risk_level) == ("中", "中", "一般")
    assert r.nodes["A"].membership == pytest.approx((0.2, 0.3, 0.4, 0.1, 0), abs=1e-15)
    assert r.nodes["A"].score == pytest.approx(79, abs=1e-12)
    assert r.nodes["B"].score == pytest.approx(55, abs=1e-12)
    assert (r.nodes["A"].weight, r.nodes["A"].global_weight) == (0.6, 0.6)
    assert r.nodes["A1"].global_weight == pytest.approx(0.3)
    assert {c: x.contribution for c, x in r.leaves.items()} == pytest.approx(
        {"A1": 26.4, "A2": 21.0, "B": 22.0}, abs=1e-12
    )
    assert sum(x.contribution for x in r.leaves.values()) == pytest.approx(r.score, abs=1e-12)
    assert r.veto is None


def test_s10_grade_by_bands_and_by_max_membership_can_differ() -> None:
    # All of B_U on 优 and 差 halves: score (100 + 40) / 2 = 70 -> 中 by bands,
    # max membership tie 0.5/0.5 -> the first, 优.
    r = evaluate(
        PLAIN,
        {
            "A1": {"votes": [1, 0, 0, 0, 1]},
            "A2": {"votes": [1, 0, 0, 0, 1]},
            "B": {"votes": [1, 0, 0, 0, 1]},
        },
    )
    assert r.score == pytest.approx(70.0, abs=1e-12)
    assert (r.grade, r.grade_by_max_membership) == ("中", "优")


@pytest.mark.parametrize(
    ("score_votes", "grade"),
    [
        ([1, 0, 0, 0, 0], "优"),  # 100
        ([1, 1, 0, 0, 0], "优"),  # 92.5 >= 92.5
        ([0, 1, 1, 0, 0], "良"),  # 77.5
        ([0, 0, 1, 1, 0], "中"),  # 62.5
        ([0, 0, 0, 1, 1], "较差"),  # 47.5
        ([0, 0, 0, 1, 3], "差"),  # 43.75
    ],
)
def test_s10_band_edges_belong_to_the_better_grade(score_votes: list[int], grade: str) -> None:
    entry = {"votes": score_votes}
    r = evaluate(PLAIN, {"A1": entry, "A2": entry, "B": entry})
    assert r.grade == grade


def test_s11_veto_worked_example() -> None:
    # R_U11 = (0, 0, 0, 3, 2)/5 = (0, 0, 0, 0.6, 0.4): C = 33 + 16 = 49 -> 较差
    # R_U12 = (0, 1, 1, 0, 0)/2 = (0, 0.5, 0.5, 0, 0): C = 42.5 + 35 = 77.5 -> 良
    # B_U1 = 0.6 R_U11 + 0.4 R_U12 = (0, 0.2, 0.2, 0.36, 0.24)
    # C_U1 = 17 + 14 + 19.8 + 9.6 = 60.4 < 62.5 -> 较差: rejected, U2 not evaluated (no input).
    # The rating is U1's: score 60.4, 较差, risk 较高; reasons: U11 (49, 较差).
    # Contributions use the weights within U1: 0.6*49 + 0.4*77.5 = 29.4 + 31 = 60.4.
    r = evaluate(VETO, {"U11": {"votes": [0, 0, 0, 3, 2]}, "U12": {"votes": [0, 1, 1, 0, 0]}})
    assert r.veto is not None
    assert r.veto.vetoed
    assert r.veto.u1_score == pytest.approx(60.4, abs=1e-12)
    assert [(x.code, x.grade) for x in r.veto.reasons] == [("U11", "较差")]
    assert r.veto.reasons[0].score == pytest.approx(49, abs=1e-12)
    assert r.score == pytest.approx(60.4, abs=1e-12)
    assert (r.grade, r.risk_level) == ("较差", "较高")
    assert r.membership == pytest.approx((0, 0.2, 0.2, 0.36, 0.24), abs=1e-15)
    assert set(r.nodes) == {"U", "U1", "U11", "U12"}
    assert set(r.leaves) == {"U11", "U12"}
    assert r.leaves["U11"].contribution == pytest.approx(29.4, abs=1e-12)
    assert r.leaves["U11"].global_weight == pytest.approx(0.45)  # 0.75 * 0.6, as in the model
    assert sum(x.contribution for x in r.leaves.values()) == pytest.approx(r.score, abs=1e-12)


def test_s11_not_vetoed_combines_u1_and_u2() -> None:
    # R_U11 = (0, 2, 3, 0, 0)/5: C = 34 + 42 = 76; R_U12 as above: 77.5.
    # C_U1 = 0.6*76 + 0.4*77.5 = 45.6 + 31 = 76.6 -> 中 (not vetoed).
    # U21 all 优: 100. C_U = 0.75*76.6 + 0.25*100 = 57.45 + 25 = 82.45 -> 良.
    inputs: dict[str, Any] = {"U11": {"votes": [0, 2, 3, 0, 0]}, "U12": {"votes": [0, 1, 1, 0, 0]}}
    with pytest.raises(AhpError) as err:
        evaluate(VETO, inputs)  # U2 input is required when U1 passes
    assert (err.value.rule, err.value.pointer) == ("S11", "/inputs/U21")
    inputs["U21"] = {"votes": [4, 0, 0, 0, 0]}
    r = evaluate(VETO, inputs)
    assert r.veto is not None
    assert not r.veto.vetoed
    assert r.veto.reasons == ()
    assert r.veto.u1_score == pytest.approx(76.6, abs=1e-12)
    assert r.score == pytest.approx(82.45, abs=1e-12)
    assert r.grade == "良"
    assert sum(x.contribution for x in r.leaves.values()) == pytest.approx(r.score, abs=1e-12)


def test_s11_u2_inputs_given_to_a_vetoed_rating_are_ignored() -> None:
    base = {"U11": {"votes": [0, 0, 0, 3, 2]}, "U12": {"votes": [0, 1, 1, 0, 0]}}
    with_u2 = {**base, "U21": {"votes": [9, 0, 0, 0, 0]}}
    assert evaluate(VETO, with_u2) == evaluate(VETO, base)


def test_s11_only_for_roots_with_children_u1_and_u2() -> None:
    assert VETO.veto
    assert not PLAIN.veto
    assert DEFAULT.veto


@pytest.mark.parametrize(
    ("inputs", "rule", "pointer"),
    [
        ("x", "S7", "/inputs"),
        ({"A1": {"votes": [1, 0, 0, 0, 0]}, "A2": {"votes": [1, 0, 0, 0, 0]}}, "S7", "/inputs/B"),
        ({"A1": {"votes": [1, 0, 0, 0]}}, "S7", "/inputs/A1/votes"),
        ({"A1": {"votes": [1, 0, -1, 0, 0]}}, "S7", "/inputs/A1/votes/2"),
        ({"A1": {"votes": [1, 0, 0.5, 0, 0]}}, "S7", "/inputs/A1/votes/2"),
        ({"A1": {"votes": [0, 0, 0, 0, 0]}}, "S7", "/inputs/A1/votes"),
        ({"A1": {"votes": [1, 0, "2", 0, 0]}}, "S7", "/inputs/A1/votes/2"),
        ({"A1": {"votes": [1, 0, True, 0, 0]}}, "S7", "/inputs/A1/votes/2"),
        ({"A1": {"value": 0.5}}, "S7", "/inputs/A1"),
        ({"A1": {"votes": [1, 0, 0, 0, 0], "value": 1}}, "S7", "/inputs/A1"),
        ({"A1": [1, 0, 0, 0, 0]}, "S7", "/inputs/A1"),
        ({"Z9": {"votes": [1, 0, 0, 0, 0]}}, "S7", "/inputs/Z9"),
    ],
)
def test_s7_bad_inputs_raise_with_rule_and_pointer(inputs: object, rule: str, pointer: str) -> None:
    with pytest.raises(AhpError) as err:
        evaluate(PLAIN, inputs)
    assert (err.value.rule, err.value.pointer, err.value.row) == (rule, pointer, 0)


def test_s7_measured_inputs_on_the_default_model() -> None:
    inputs = full_inputs(DEFAULT, votes_for=[0, 3, 2, 0, 0])
    inputs["U121"] = {"value": 0.5}  # debt ratio between 良 0.45 and 中 0.60
    r = evaluate(DEFAULT, inputs)
    assert r.nodes["U121"].membership == pytest.approx((0, 2 / 3, 1 / 3, 0, 0), abs=1e-15)
    inputs["U121"] = {"votes": [1, 0, 0, 0, 0]}  # experts may vote on a measured leaf too
    assert evaluate(DEFAULT, inputs).nodes["U121"].membership == (1, 0, 0, 0, 0)
    for bad in ({"value": "0.5"}, {"value": None}, {"value": 10**400}):
        inputs["U121"] = bad
        with pytest.raises(AhpError) as err:
            evaluate(DEFAULT, inputs)
        assert (err.value.rule, err.value.pointer) == ("S7", "/inputs/U121/value")


def full_inputs(model: Model, *, votes_for: list[int], value: float = 0.0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for leaf in model.leaves:
        out[leaf.code] = {"votes": votes_for} if leaf.kind == "votes" else {"value": value}
    return out


def random_batch(model: Model, seed: int, m: int) -> BatchInputs:
    rng = np.random.default_rng(seed)
    vote_cols, value_cols = {}, {}
    for leaf in model.leaves:
        if leaf.kind == "votes":
            v = rng.integers(0, 6, size=(m, 5)).astype(float)
            v[v.sum(axis=1) == 0, 0] = 1
            vote_cols[leaf.code] = v
        else:
            assert leaf.breakpoints is not None
            lo, hi = min(leaf.breakpoints), max(leaf.breakpoints)
            value_cols[leaf.code] = rng.uniform(lo - (hi - lo), hi + (hi - lo), size=m)
    return BatchInputs(size=m, votes=vote_cols, values=value_cols)


def as_items(model: Model, inputs: BatchInputs) -> list[dict[str, Any]]:
    items = []
    for r in range(inputs.size):
        item: dict[str, Any] = {}
        for leaf in model.leaves:
            if leaf.code in inputs.votes:
                item[leaf.code] = {"votes": [int(x) for x in inputs.votes[leaf.code][r]]}
            else:
                item[leaf.code] = {"value": float(inputs.values[leaf.code][r])}
        items.append(item)
    return items


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_s8_s12_batch_equals_one_by_one_exactly(seed: int) -> None:
    inputs = random_batch(DEFAULT, seed, 60)
    items = as_items(DEFAULT, inputs)
    batch = evaluate_batch(DEFAULT, batch_memberships(DEFAULT, inputs))
    assert batch_ratings(batch) == [evaluate(DEFAULT, item) for item in items]
    assert batch_ratings(evaluate_items(DEFAULT, items)) == batch_ratings(batch)


def test_s11_batch_mixes_vetoed_and_passing_rows_and_u2_may_be_missing_when_vetoed() -> None:
    ok = {
        "U11": {"votes": [0, 2, 3, 0, 0]},
        "U12": {"votes": [0, 1, 1, 0, 0]},
        "U21": {"votes": [1, 0, 0, 0, 0]},
    }
    rejected = {"U11": {"votes": [0, 0, 0, 3, 2]}, "U12": {"votes": [0, 1, 1, 0, 0]}}
    batch = evaluate_items(VETO, [ok, rejected, ok])
    assert batch.vetoed is not None
    assert batch.vetoed.tolist() == [False, True, False]
    assert np.isnan(batch.score["U2"][1])
    assert not np.isnan(batch.score["U2"][0])
    assert batch_ratings(batch) == [evaluate(VETO, x) for x in (ok, rejected, ok)]
    assert [s["vetoed"] for s in batch_summary(batch)] == [False, True, False]
    with pytest.raises(AhpError) as err:
        evaluate_items(VETO, [ok, rejected, {k: v for k, v in ok.items() if k != "U21"}])
    assert (err.value.rule, err.value.pointer, err.value.row) == ("S11", "/inputs/U21", 2)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_s9_s12_scores_in_range_and_contributions_sum_to_score(seed: int) -> None:
    inputs = random_batch(DEFAULT, seed, 500)
    batch = evaluate_batch(DEFAULT, batch_memberships(DEFAULT, inputs))
    for code, s in batch.score.items():
        finite = s[~np.isnan(s)]
        assert np.all((finite >= 40) & (finite <= 100)), code
    final = batch.score["U"]
    total = np.nansum(np.stack(list(batch.contribution.values())), axis=0)
    assert np.max(np.abs(total - final)) <= 1e-10
    assert np.allclose(np.nansum(batch.membership["U"], axis=1), 1.0, atol=1e-12)


def test_s12_rating_dict_has_the_contract_shape() -> None:
    r = evaluate(DEFAULT, full_inputs(DEFAULT, votes_for=[1, 3, 1, 0, 0], value=0.2))
    d = rating_to_dict(r, model_version=3)
    assert set(d) == {
        "score", "grade", "grade_by_max_membership", "risk_level", "membership", "veto",
        "nodes", "leaves", "model_version",
    }  # fmt: skip
    assert d["model_version"] == 3
    veto = d["veto"]
    assert isinstance(veto, dict)
    assert set(veto) == {"vetoed", "u1_score", "reasons"}
    nodes = d["nodes"]
    assert isinstance(nodes, dict)
    assert set(nodes["U"]) == {"membership", "score", "weight", "global_weight"}
    leaves = d["leaves"]
    assert isinstance(leaves, dict)
    assert set(leaves) == {x.code for x in DEFAULT.leaves}
    assert set(leaves["U111"]) == {"global_weight", "contribution"}
    assert d["grade"] in ("优", "良", "中", "较差", "差")


def test_s8_stack_inputs_parses_http_shapes() -> None:
    batch = stack_inputs(PLAIN, [{"A1": {"votes": [1, 2, 3, 4, 5]}}, {}])
    assert batch.size == 2
    assert batch.votes["A1"][0].tolist() == [1, 2, 3, 4, 5]
    assert np.isnan(batch.votes["A1"][1]).all()
