"""Model documents and their compiler: scoring.md S1-S7, S10, S13 and the default model."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from services.scoring.ahp import AhpError
from services.scoring.tree import (
    GRADE_LABELS,
    RISK_LEVELS,
    Grades,
    Leaf,
    Node,
    compile_model,
    default_model_document,
    main_factors,
)

THIRD = 1 / 3


def small_doc() -> dict[str, Any]:
    return {
        "name": "small",
        "root": {
            "code": "U",
            "name": "goal",
            "weights": [0.6, 0.4],
            "children": [
                {
                    "code": "A",
                    "name": "a",
                    "comparisons": [[1, 3, 5], [THIRD, 1, 3], [0.2, THIRD, 1]],
                    "order": ["A1", "A2", "A3"],
                    "children": [
                        {"code": "A1", "name": "a1", "kind": "votes"},
                        {"code": "A2", "name": "a2", "kind": "votes"},
                        {
                            "code": "A3",
                            "name": "a3",
                            "kind": "measured",
                            "breakpoints": [0.3, 0.45, 0.6, 0.7, 0.85],
                            "higher_is_better": False,
                        },
                    ],
                },
                {"code": "B", "name": "b", "kind": "votes"},
            ],
        },
    }


def test_s1_s3_small_model_compiles() -> None:
    model = compile_model(small_doc())
    assert model.grades == Grades()
    assert model.grades.labels == GRADE_LABELS == ("优", "良", "中", "较差", "差")
    assert model.grades.risk_levels == RISK_LEVELS == ("低", "较低", "一般", "较高", "高")
    assert model.root.weights == (0.6, 0.4)
    a = model.items["A"]
    assert isinstance(a, Node)
    assert a.judgment is not None
    g = (15 ** (1 / 3), 1.0, (1 / 15) ** (1 / 3))  # n = 3: eigenvector = row geometric mean
    assert a.weights == pytest.approx(tuple(x / sum(g) for x in g), abs=1e-14)
    assert a.order == ("A1", "A2", "A3")
    assert [x.code for x in model.leaves] == ["A1", "A2", "A3", "B"]
    leaf = model.items["A3"]
    assert isinstance(leaf, Leaf)
    assert leaf.higher_is_better is False
    assert model.global_weight["A1"] == pytest.approx(0.6 * a.weights[0], abs=1e-15)
    assert model.parent["A3"] == "A"
    assert model.local_weight["B"] == 0.4
    assert not model.veto
    assert main_factors(model) == ("A1", "A2", "A3")


def test_s1_default_model_compiles_and_has_veto_shape() -> None:
    model = compile_model(default_model_document())
    assert [c.code for c in model.root.children] == ["U1", "U2"]
    assert model.veto
    codes = {x.code for x in model.leaves}
    assert {"U111", "U112", "U113", "U114", "U121", "U125", "U133", "U143", "U21", "U25"} <= codes
    measured = {x.code for x in model.leaves if x.kind == "measured"}
    assert measured == {"U121", "U122", "U123", "U124", "U125"}
    debt = model.items["U121"]
    assert isinstance(debt, Leaf)
    assert debt.higher_is_better is False
    assert main_factors(model)[:4] == ("U11", "U12", "U13", "U14")
    assert sum(model.global_weight[x.code] for x in model.leaves) == pytest.approx(1, abs=1e-14)


def test_s4_default_model_matrices_are_consistent() -> None:
    model = compile_model(default_model_document())
    for item in model.items.values():
        if isinstance(item, Node) and item.judgment is not None:
            assert item.judgment.report.cr < 0.10, item.code
            assert sum(item.weights) == pytest.approx(1.0, abs=1e-14)


def test_s6_default_model_orders_u1_main_factors() -> None:
    # 管理层素质 > 财务状况 > 市场状况 > 持续发展能力
    model = compile_model(default_model_document())
    u1 = model.items["U1"]
    assert isinstance(u1, Node)
    assert u1.order == ("U11", "U12", "U13", "U14")
    w = dict(zip([c.code for c in u1.children], u1.weights, strict=True))
    assert w["U11"] > w["U12"] > w["U13"] > w["U14"]


def test_s6_compiler_rejects_weights_that_break_the_order() -> None:
    doc = small_doc()
    doc["root"]["children"][0]["order"] = ["A1", "A3", "A2"]
    with pytest.raises(AhpError) as err:
        compile_model(doc)
    assert (err.value.rule, err.value.pointer) == ("S6", "/root/children/0/order/2")
    assert "A3" in err.value.detail
    assert "A2" in err.value.detail


def test_s4_compiler_rejects_inconsistent_node_naming_node_and_worst_judgment() -> None:
    doc = small_doc()
    node = doc["root"]["children"][0]
    node["comparisons"] = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    del node["order"]
    with pytest.raises(AhpError) as err:
        compile_model(doc)
    assert err.value.rule == "S4"
    assert err.value.pointer == "/root/children/0/comparisons/0/1"  # n = 3 tie: first pair
    assert "node A" in err.value.detail
    assert "A1 vs A2" in err.value.detail


def test_s4_cr_threshold_is_a_compiler_parameter() -> None:
    doc = small_doc()  # node A has CR = 0.0332
    compile_model(doc, cr_threshold=0.10)
    with pytest.raises(AhpError) as err:
        compile_model(doc, cr_threshold=0.03)
    assert err.value.pointer == "/root/children/0/comparisons/0/1"


def test_s5_expert_comparisons_in_a_document() -> None:
    doc = small_doc()
    node = doc["root"]["children"][0]
    del node["comparisons"]
    node["expert_comparisons"] = [
        [[1, 3, 5], [THIRD, 1, 3], [0.2, THIRD, 1]],
        [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]],
    ]
    model = compile_model(doc)
    a = model.items["A"]
    assert isinstance(a, Node)
    assert a.judgment is not None
    assert len(a.judgment.experts) == 2


def test_s5_inconsistent_group_points_at_the_expert_most_off() -> None:
    doc = small_doc()
    node = doc["root"]["children"][0]
    del node["comparisons"], node["order"]
    cyclic = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    node["expert_comparisons"] = [[[1, 1, 1], [1, 1, 1], [1, 1, 1]], cyclic, cyclic]
    with pytest.raises(AhpError) as err:
        compile_model(doc)
    assert (err.value.rule, err.value.pointer) == (
        "S4",
        "/root/children/0/expert_comparisons/1/0/1",
    )


def test_s13_fuzzy_comparisons_in_a_document() -> None:
    doc = small_doc()
    node = doc["root"]["children"][0]
    node["comparisons"] = [
        [1, [2, 3, 4], [4, 5, 6]],
        [[0.25, THIRD, 0.5], 1, [2, 3, 4]],
        [[1 / 6, 0.2, 0.25], [0.25, THIRD, 0.5], 1],
    ]
    model = compile_model(doc)
    a = model.items["A"]
    assert isinstance(a, Node)
    assert a.judgment is not None
    assert a.judgment.fuzzy
    assert a.weights[0] > a.weights[1] > a.weights[2]


def test_s2_s10_custom_grades() -> None:
    doc = small_doc()
    doc["grades"] = {
        "labels": ["A", "B", "C", "D", "E"],
        "values": [95, 80, 65, 50, 30],
        "risk_levels": ["low", "fairly low", "medium", "fairly high", "high"],
    }
    g = compile_model(doc).grades
    assert g.bands == (87.5, 72.5, 57.5, 40.0)  # S10 default: nearest value, i.e. midpoints
    assert g.labels == ("A", "B", "C", "D", "E")
    doc["grades"]["bands"] = [90, 70, 60, 45]
    assert compile_model(doc).grades.bands == (90, 70, 60, 45)


def edit(path: str, value: object) -> dict[str, Any]:
    """small_doc() with the value at a JSON-pointer-ish path replaced (None deletes)."""
    doc = copy.deepcopy(small_doc())
    parts = path.strip("/").split("/")
    target: Any = doc
    for p in parts[:-1]:
        target = target[int(p)] if isinstance(target, list) else target.setdefault(p, {})
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is None:
        target.pop(last, None)
    else:
        target[last] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "rule", "pointer"),
    [
        ("/name", None, "S1", "/name"),
        ("/root", None, "S1", "/root"),
        ("/root/children", [], "S1", "/root/children"),
        ("/root/children/1/code", "A", "S1", "/root/children/1/code"),
        ("/root/children/1/code", "B/1", "S1", "/root/children/1/code"),
        ("/root/children/1/name", None, "S1", "/root/children/1/name"),
        ("/root/children/1/kind", "text", "S7", "/root/children/1/kind"),
        ("/root/children/1/breakpoints", [1, 2, 3, 4, 5], "S7", "/root/children/1/breakpoints"),
        (
            "/root/children/0/children/2/breakpoints",
            [1, 2],
            "S7",
            "/root/children/0/children/2/breakpoints",
        ),
        (
            "/root/children/0/children/2/higher_is_better",
            True,
            "S7",
            "/root/children/0/children/2/breakpoints",
        ),
        (
            "/root/children/0/children/2/higher_is_better",
            "no",
            "S7",
            "/root/children/0/children/2/higher_is_better",
        ),
        ("/root/weights", [0.7, 0.4], "S3", "/root/weights"),
        ("/root/weights", None, "S3", "/root"),
        ("/root/comparisons", [[1, 2], [0.5, 1]], "S3", "/root/comparisons"),
        ("/root/children/0/comparisons", [[1, 2], [0.5, 1]], "S4", "/root/children/0/comparisons"),
        ("/root/children/0/comparisons/2/1", 3, "S4", "/root/children/0/comparisons/2/1"),
        ("/root/children/0/comparisons/0/1", 11, "S4", "/root/children/0/comparisons/0/1"),
        ("/root/children/0/comparisons/0/2", -5, "S4", "/root/children/0/comparisons/0/2"),
        ("/root/children/0/comparisons/1", [3, 1], "S4", "/root/children/0/comparisons/1"),
        ("/root/children/0/order", ["A1", "X"], "S6", "/root/children/0/order/1"),
        ("/root/children/0/order", ["A1", "A1"], "S6", "/root/children/0/order/1"),
        ("/root/children/0/order", "A1", "S6", "/root/children/0/order"),
        ("/grades/labels", ["a", "b", "c", "d"], "S2", "/grades/labels"),
        ("/grades/labels", ["a", "b", "c", "d", "d"], "S2", "/grades/labels"),
        ("/grades/values", [100, 85, 85, 55, 40], "S2", "/grades/values"),
        ("/grades/values", [100, 85, "70", 55, 40], "S2", "/grades/values/2"),
        ("/grades/bands", [92.5, 77.5, 80, 47.5], "S10", "/grades/bands"),
        ("/grades/bands", [92.5, 77.5, 62.5, 30], "S10", "/grades/bands/3"),
    ],
)
def test_s1_s7_bad_documents_raise_with_rule_and_pointer(
    path: str, value: object, rule: str, pointer: str
) -> None:
    with pytest.raises(AhpError) as err:
        compile_model(edit(path, value))
    assert (err.value.rule, err.value.pointer) == (rule, pointer), err.value.detail


def test_s1_not_a_document() -> None:
    with pytest.raises(AhpError) as err:
        compile_model([1, 2])
    assert err.value.rule == "S1"


def test_s3_issue17_a_document_may_leave_pairs_out() -> None:
    """A node's comparisons with A1 vs A3 left out: completed (to 3 x 3 = 9 would be the
    consistent value; the optimum of the two judgments given is it), weights from it; with A3
    compared to nothing, a 422 naming A3 at the node's comparisons."""
    doc = small_doc()
    node = doc["root"]["children"][0]
    node["comparisons"] = [[1, 3, None], [THIRD, 1, 3], [None, THIRD, 1]]
    model = compile_model(doc)
    a = model.items["A"]
    assert isinstance(a, Node)
    assert a.judgment is not None
    ((i, j, value),) = a.judgment.completed[0]
    assert (i, j) == (0, 2)
    assert value == pytest.approx(9, rel=1e-8)
    assert a.weights == pytest.approx((9 / 13, 3 / 13, 1 / 13), abs=1e-9)
    node["comparisons"] = [[1, 3, None], [THIRD, 1, None], [None, None, 1]]
    with pytest.raises(AhpError) as err:
        compile_model(doc)
    assert (err.value.rule, err.value.pointer) == ("S3", "/root/children/0/comparisons")
    assert "criteria A3 cannot be reached from A1" in err.value.detail
