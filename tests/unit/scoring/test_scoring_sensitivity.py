"""Weight sensitivity: scoring.md S14, checked against hand-solved linear equations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.evaluate import batch_memberships, evaluate, stack_inputs
from services.scoring.sensitivity import (
    sensitivity,
    sensitivity_for_inputs,
    sensitivity_to_dict,
)
from services.scoring.tree import (
    Grades,
    Leaf,
    Model,
    Node,
    compile_model,
    default_model_document,
    main_factors,
)


def votes(code: str) -> Leaf:
    return Leaf(code=code, name=code.lower(), kind="votes")


def tree(root_w: tuple[float, float], u1_w: tuple[float, float], veto: bool) -> Model:
    a, b = ("U1", "U2") if veto else ("A", "B")
    return Model(
        name="t",
        grades=Grades(),
        root=Node(
            code="U",
            name="goal",
            weights=root_w,
            children=(
                Node(code=a, name=a, weights=u1_w, children=(votes(a + "1"), votes(a + "2"))),
                Node(code=b, name=b, weights=(1.0,), children=(votes(b + "1"),)),
            ),
        ),
    )


def mem(model: Model, inputs: dict[str, Any]) -> dict[str, Any]:
    return batch_memberships(model, stack_inputs(model, [inputs]))


def test_s14_worked_example_plain_tree() -> None:
    # U = 0.6 A + 0.4 B; A = 0.5 A1 + 0.5 A2 with C_A1 = 88, C_A2 = 70 (C_A = 79), C_B = 55:
    # C_U = 0.6*79 + 0.4*55 = 69.4 -> 中.
    # Moving A's weight to x (B gets 1 - x): C_U(x) = 79x + 55(1 - x) = 55 + 24x.
    #   up:   55 + 24x = 77.5 -> x = 22.5/24 = 0.9375 (良 from there on)
    #   down: 55 + 24x = 62.5 -> x = 7.5/24 = 0.3125 (较差 below it)
    # Moving A1's weight to x within A: C_A(x) = 88x + 70(1 - x) = 70 + 18x,
    #   C_U(x) = 69.4 + 0.6*18 (x - 0.5): needs x = 1.25 or x = -0.139: unreachable, None.
    model = tree((0.6, 0.4), (0.5, 0.5), veto=False)
    inputs = {
        "A1": {"votes": [2, 2, 1, 0, 0]},
        "A2": {"votes": [0, 1, 3, 1, 0]},
        "B1": {"votes": [0, 0, 1, 2, 1]},
    }
    assert evaluate(model, inputs).score == pytest.approx(69.4, abs=1e-12)
    a, a1 = sensitivity(model, mem(model, inputs), codes=["A", "A1"])
    assert a.grade_up is not None
    assert a.grade_down is not None
    assert a.grade_up.weight == pytest.approx(0.9375, abs=1e-12)
    assert a.grade_up.delta == pytest.approx(0.3375, abs=1e-12)
    assert a.grade_up.grade == "良"
    assert a.grade_down.weight == pytest.approx(0.3125, abs=1e-12)
    assert a.grade_down.grade == "较差"
    assert (a.veto_up, a.veto_down) == (None, None)
    assert (a1.grade_up, a1.grade_down) == (None, None)
    assert main_factors(model) == ("A1", "A2", "B1")


def test_s14_worked_example_veto() -> None:
    # U1 = 0.6 U11 + 0.4 U12 with C_U11 = 49, C_U12 = 77.5: C_U1 = 60.4 < 62.5, vetoed, 较差.
    # Moving U11's weight to x: C_U1(x) = 49x + 77.5(1 - x) = 77.5 - 28.5x.
    #   veto lifts when 77.5 - 28.5x >= 62.5 -> x <= 15/28.5 = 0.526316 (veto_down);
    #   moving up only lowers C_U1; 较差 -> 差 needs 77.5 - 28.5x < 47.5 -> x > 1.05: None.
    # With U21 all 优 (100): once lifted, C_U = 0.75 C_U1 + 25 = 0.75*62.5 + 25 = 71.875 -> 中,
    # so the grade also changes at x = 0.526316 (grade_down, to 中).
    # U12 mirrors it: C_U1(y) = 77.5y + 49(1 - y) >= 62.5 -> y >= 13.5/28.5 = 0.473684.
    model = tree((0.75, 0.25), (0.6, 0.4), veto=True)
    inputs = {"U11": {"votes": [0, 0, 0, 3, 2]}, "U12": {"votes": [0, 1, 1, 0, 0]}}
    rating = evaluate(model, inputs)
    assert rating.veto is not None
    assert rating.veto.vetoed
    assert rating.grade == "较差"
    # Without U2 inputs the grade after the veto lifts is unknown (None).
    u11, u12, u21 = sensitivity(model, mem(model, inputs))
    assert u11.veto_down is not None
    assert u11.veto_up is None
    assert u11.veto_down.weight == pytest.approx(15 / 28.5, abs=1e-12)
    assert u11.veto_down.vetoed is False
    assert u11.grade_down is not None
    assert u11.grade_down.grade is None
    assert u11.grade_up is None
    assert u12.veto_up is not None
    assert u12.veto_up.weight == pytest.approx(13.5 / 28.5, abs=1e-12)
    assert u21 == type(u21)("U21", "U2", 1.0, None, None, None, None)
    inputs["U21"] = {"votes": [3, 0, 0, 0, 0]}
    u11 = sensitivity(model, mem(model, inputs))[0]
    assert u11.grade_down is not None
    assert u11.grade_down.weight == pytest.approx(15 / 28.5, abs=1e-12)
    assert u11.grade_down.grade == "中"


def test_s14_moving_u1_into_the_veto() -> None:
    # C_U11 = 76, C_U12 = 40, weights 0.5/0.5: C_U1 = 58 -> vetoed. Moving U11 up:
    # C_U1(x) = 76x + 40(1 - x) = 40 + 36x >= 62.5 -> x >= 0.625 lifts the veto.
    # Down: 40 + 36x < 47.5 -> x < 0.208333 makes the vetoed grade 差.
    model = tree((0.75, 0.25), (0.5, 0.5), veto=True)
    inputs = {"U11": {"votes": [0, 2, 3, 0, 0]}, "U12": {"votes": [0, 0, 0, 0, 1]}}
    u11 = sensitivity(model, mem(model, inputs), codes=["U11"])[0]
    assert u11.veto_up is not None
    assert u11.veto_up.weight == pytest.approx(0.625, abs=1e-12)
    assert u11.grade_down is not None
    assert u11.grade_down.weight == pytest.approx(7.5 / 36, abs=1e-12)
    assert (u11.grade_down.grade, u11.grade_down.vetoed) == ("差", True)
    assert u11.veto_down is None


DEFAULT = compile_model(default_model_document())


def default_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    for leaf in DEFAULT.leaves:
        if leaf.kind == "votes":
            v = rng.integers(0, 4, size=5)
            v[rng.integers(0, 5)] += 1
            out[leaf.code] = {"votes": [int(x) for x in v]}
        else:
            assert leaf.breakpoints is not None
            out[leaf.code] = {
                "value": float(rng.uniform(min(leaf.breakpoints), max(leaf.breakpoints)))
            }
    return out


def moved(model: Model, code: str, x: float) -> Model:
    """The model with `code`'s weight set to x and its siblings rescaled proportionally."""

    def rebuild(node: Node) -> Node:
        kids = tuple(rebuild(c) if isinstance(c, Node) else c for c in node.children)
        codes = [c.code for c in node.children]
        weights = node.weights
        if code in codes:
            k = codes.index(code)
            rest = 1.0 - weights[k]
            weights = tuple(x if i == k else w * (1 - x) / rest for i, w in enumerate(weights))
        return Node(code=node.code, name=node.name, children=kids, weights=weights)

    return Model(name=model.name, grades=model.grades, root=rebuild(model.root))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_s14_targets_agree_with_re_evaluating_moved_models(seed: int) -> None:
    inputs = default_inputs(seed)
    base = evaluate(DEFAULT, inputs)
    assert base.veto is not None
    for f in sensitivity(DEFAULT, mem(DEFAULT, inputs)):
        for shift, sign in ((f.grade_up, 1), (f.grade_down, -1)):
            if shift is None:
                continue
            past = min(1.0, max(0.0, shift.weight + sign * 1e-7))
            r = evaluate(moved(DEFAULT, f.code, past), inputs)
            assert r.grade != base.grade, f.code
            before = shift.weight - sign * 1e-7
            if 0.0 <= before <= 1.0 and abs(before - f.weight) > 1e-7:
                assert evaluate(moved(DEFAULT, f.code, before), inputs).grade == base.grade
        for shift in (f.veto_up, f.veto_down):
            if shift is not None:
                past = min(1.0, max(0.0, shift.weight + np.sign(shift.delta) * 1e-7))
                r = evaluate(moved(DEFAULT, f.code, past), inputs)
                assert r.veto is not None
                assert r.veto.vetoed != base.veto.vetoed


def test_s14_dict_shape() -> None:
    out = sensitivity_to_dict(sensitivity(DEFAULT, mem(DEFAULT, default_inputs(1))))
    assert [x["code"] for x in out] == list(main_factors(DEFAULT))
    assert sensitivity_for_inputs(DEFAULT, default_inputs(1)) == sensitivity(
        DEFAULT, mem(DEFAULT, default_inputs(1))
    )
    assert set(out[0]) == {
        "code",
        "parent",
        "weight",
        "grade_up",
        "grade_down",
        "veto_up",
        "veto_down",
    }
